/**
 * The review app's checks that need no schema (components/review/check-objects.ts): what is
 * refused before the cluster is asked anything, and what is left to the cluster.
 */
import { describe, expect, it } from "vitest";
import { checkObjects, type KubeObject } from "../../components/review/check-objects.ts";

const NAMESPACE = "review-7-feature-x-0123abcd";
const LABELS = { "app.kubernetes.io/managed-by": "gitops-components", "gitops-components/review": "feature-x" };
const IMAGE = `registry.example.com/group/app@sha256:${"c".repeat(64)}`;
const EXPECT = {
  namespace: NAMESPACE,
  labels: LABELS,
  image: IMAGE,
  imageName: "registry.example.com/group/app",
  manifests: "deploy/review",
};

function object(apiVersion: string, kind: string, name: string, extra: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion, kind, metadata: { name, namespace: NAMESPACE, labels: { ...LABELS } }, ...extra };
}

const namespace: KubeObject = {
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name: NAMESPACE, labels: { ...LABELS } },
};
const deployment = object("apps/v1", "Deployment", "web", {
  spec: { template: { spec: { containers: [{ name: "web", image: IMAGE }] } } },
});

describe("checkObjects", () => {
  it("accepts the review namespace and namespaced objects of any kind, custom resources included", () => {
    const objects = [
      namespace,
      deployment,
      object("autoscaling/v2", "HorizontalPodAutoscaler", "web"),
      object("monitoring.coreos.com/v1", "ServiceMonitor", "web"),
      object("rbac.authorization.k8s.io/v1", "Role", "app:reader"),
    ];
    expect(checkObjects(objects, EXPECT)).toEqual([]);
  });

  it.each([
    {
      given: "a Namespace in the manifests",
      add: { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE, labels: { ...LABELS } } },
      want: `Namespace/${NAMESPACE}: the manifests declare a Namespace`,
    },
    {
      given: "a cluster-scoped object",
      add: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "reader", labels: { ...LABELS } },
      },
      want: "ClusterRole/reader (rbac.authorization.k8s.io/v1): kustomize set no namespace on it",
    },
    {
      given: "an object in another namespace",
      add: {
        ...object("v1", "ConfigMap", "settings"),
        metadata: { name: "settings", namespace: "default", labels: { ...LABELS } },
      },
      want: `ConfigMap/settings: belongs to default, not the review namespace ${NAMESPACE}`,
    },
    {
      given: "a Service name that is not a DNS label",
      add: object("v1", "Service", "web.internal"),
      want: "Service/web.internal: metadata.name is not a DNS-1123 label",
    },
    {
      given: "a name that is not a DNS subdomain",
      add: object("v1", "ConfigMap", "Settings"),
      want: "ConfigMap/Settings: metadata.name is not a DNS-1123 subdomain",
    },
    {
      given: "an RBAC name that is not a path segment",
      add: object("rbac.authorization.k8s.io/v1", "Role", "a/b"),
      want: "Role/a/b: metadata.name is not a path segment",
    },
    {
      given: "an object without the review labels",
      add: { ...object("v1", "ConfigMap", "bare"), metadata: { name: "bare", namespace: NAMESPACE } },
      want: "ConfigMap/bare: lacks the review label(s) app.kubernetes.io/managed-by=gitops-components, gitops-components/review=feature-x",
    },
  ])("refuses $given", ({ add, want }) => {
    const problems = checkObjects([namespace, deployment, add as KubeObject], EXPECT);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(want);
  });

  it("refuses an app in which no container runs the new image, naming the images it found", () => {
    const other = object("apps/v1", "Deployment", "web", {
      spec: {
        template: {
          spec: {
            initContainers: [{ image: "busybox" }],
            containers: [{ image: "registry.example.com/group/app:latest" }],
          },
        },
      },
    });
    expect(checkObjects([namespace, other], EXPECT)).toEqual([
      `no container runs ${IMAGE}: no container image in deploy/review is named registry.example.com/group/app (found: busybox, registry.example.com/group/app:latest)`,
    ]);
  });

  it("leaves fields to the cluster: an unknown field passes the local checks", () => {
    const typo = { ...deployment, spec: { ...(deployment.spec as object), replica: 2 } };
    expect(checkObjects([namespace, typo], EXPECT)).toEqual([]);
  });
});
