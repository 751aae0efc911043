/**
 * What the Kubernetes API stand-in knows about each kind it serves: the fields it declares
 * (kube-api-schema.ts checks apply patches against them) and the few validation rules of
 * kube-apiserver's registry it applies (422 Invalid).
 *
 * The knowledge is deliberately small and explicit: the fields the tests and the demo use plus the
 * common ones of each kind. A field not listed here is an unknown field to the stand-in, where a
 * real cluster knows every field of its version; add it here when a test needs it. The rules are
 * the ones kube-apiserver applies, with its paths and messages, cited by function:
 * `pkg/apis/apps/validation` (ValidateDeploymentSpec), `pkg/apis/core/validation` (ValidateService,
 * validateContainers), `pkg/apis/networking/validation` (validateHTTPIngressPath) and
 * `pkg/apis/autoscaling/validation` (ValidateCrossVersionObjectReference).
 */
import {
  anything,
  bool,
  keyedList,
  listOf,
  mapOf,
  num,
  scalar,
  str,
  struct,
  type TypeNode,
} from "./kube-api-schema.ts";

/** One resource type the stand-in serves. */
export interface ResourceType {
  group: string;
  version: string;
  /** Plural, as in URLs. */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** The object's type tree. */
  schema: TypeNode;
  /** The registry's validation of the merged object; empty when valid. */
  validate?: (object: Record<string, unknown>) => FieldError[];
}

/** A field error as kube-apiserver's `field.Error`: the path, its cause type and its message. */
export interface FieldError {
  field: string;
  /** The `StatusCause` reason (`field.ErrorType`). */
  reason: "FieldValueRequired";
  /** `field.Error.ErrorBody()`. */
  message: string;
}

function required(field: string, detail = ""): FieldError {
  return { field, reason: "FieldValueRequired", message: detail ? `Required value: ${detail}` : "Required value" };
}

const stringMap = mapOf(str);

const objectMeta = struct({
  name: str,
  generateName: str,
  namespace: str,
  uid: str,
  resourceVersion: str,
  generation: num,
  creationTimestamp: str,
  deletionTimestamp: str,
  labels: stringMap,
  annotations: stringMap,
  finalizers: listOf(str),
  ownerReferences: keyedList(
    struct({ apiVersion: str, kind: str, name: str, uid: str, controller: bool, blockOwnerDeletion: bool }),
    ["uid"],
  ),
});

/** A top-level object: apiVersion, kind, metadata and the kind's own fields (status is not checked). */
function root(fields: Record<string, TypeNode>): TypeNode {
  return struct({ apiVersion: str, kind: str, metadata: objectMeta, status: anything, ...fields });
}

const labelSelector = struct({
  matchLabels: stringMap,
  matchExpressions: listOf(struct({ key: str, operator: str, values: listOf(str) })),
});
const keyRef = struct({ name: str, key: str, optional: bool });
const probe = struct({
  httpGet: struct({ path: str, port: scalar, scheme: str, host: str }),
  tcpSocket: struct({ port: scalar, host: str }),
  exec: struct({ command: listOf(str) }),
  initialDelaySeconds: num,
  periodSeconds: num,
  timeoutSeconds: num,
  successThreshold: num,
  failureThreshold: num,
});
const container = struct({
  name: str,
  image: str,
  imagePullPolicy: str,
  command: listOf(str),
  args: listOf(str),
  workingDir: str,
  ports: keyedList(
    struct({ name: str, containerPort: num, protocol: str, hostPort: num }),
    ["containerPort", "protocol"],
    { protocol: "TCP" },
  ),
  env: keyedList(
    struct({
      name: str,
      value: str,
      valueFrom: struct({
        configMapKeyRef: keyRef,
        secretKeyRef: keyRef,
        fieldRef: struct({ fieldPath: str, apiVersion: str }),
      }),
    }),
    ["name"],
  ),
  envFrom: listOf(
    struct({
      prefix: str,
      configMapRef: struct({ name: str, optional: bool }),
      secretRef: struct({ name: str, optional: bool }),
    }),
  ),
  resources: struct({ limits: mapOf(scalar), requests: mapOf(scalar) }),
  readinessProbe: probe,
  livenessProbe: probe,
  startupProbe: probe,
  volumeMounts: keyedList(struct({ name: str, mountPath: str, readOnly: bool, subPath: str }), ["mountPath"]),
  securityContext: struct({
    runAsNonRoot: bool,
    runAsUser: num,
    readOnlyRootFilesystem: bool,
    allowPrivilegeEscalation: bool,
    capabilities: struct({ add: listOf(str), drop: listOf(str) }),
  }),
});
const podSpec = struct({
  containers: keyedList(container, ["name"]),
  initContainers: keyedList(container, ["name"]),
  volumes: keyedList(
    struct({
      name: str,
      configMap: struct({ name: str, defaultMode: num, items: listOf(struct({ key: str, path: str })) }),
      secret: struct({ secretName: str, defaultMode: num }),
      emptyDir: struct({ medium: str, sizeLimit: scalar }),
    }),
    ["name"],
  ),
  serviceAccountName: str,
  restartPolicy: str,
  terminationGracePeriodSeconds: num,
  nodeSelector: stringMap,
  securityContext: struct({ runAsNonRoot: bool, runAsUser: num, runAsGroup: num, fsGroup: num }),
});

const deploymentSpec = struct({
  replicas: num,
  selector: labelSelector,
  template: struct({ metadata: objectMeta, spec: podSpec }),
  strategy: struct({ type: str, rollingUpdate: struct({ maxSurge: scalar, maxUnavailable: scalar }) }),
  minReadySeconds: num,
  revisionHistoryLimit: num,
  progressDeadlineSeconds: num,
  paused: bool,
});
const serviceSpec = struct({
  type: str,
  selector: stringMap,
  ports: keyedList(
    struct({ name: str, protocol: str, port: num, targetPort: scalar, nodePort: num, appProtocol: str }),
    ["port", "protocol"],
    { protocol: "TCP" },
  ),
  clusterIP: str,
  clusterIPs: listOf(str),
  externalName: str,
  sessionAffinity: str,
  ipFamilyPolicy: str,
});
const ingressBackend = struct({ service: struct({ name: str, port: struct({ name: str, number: num }) }) });
const ingressSpec = struct({
  ingressClassName: str,
  defaultBackend: ingressBackend,
  tls: listOf(struct({ hosts: listOf(str), secretName: str })),
  rules: listOf(
    struct({
      host: str,
      http: struct({ paths: listOf(struct({ path: str, pathType: str, backend: ingressBackend })) }),
    }),
  ),
});
const metricTarget = struct({ type: str, averageUtilization: num, averageValue: scalar, value: scalar });
const scalingRules = struct({
  stabilizationWindowSeconds: num,
  selectPolicy: str,
  policies: listOf(struct({ type: str, value: num, periodSeconds: num })),
});
const hpaSpec = struct({
  scaleTargetRef: struct({ apiVersion: str, kind: str, name: str }),
  minReplicas: num,
  maxReplicas: num,
  metrics: listOf(struct({ type: str, resource: struct({ name: str, target: metricTarget }) })),
  behavior: struct({ scaleUp: scalingRules, scaleDown: scalingRules }),
});

type Loose = Record<string, any>;

/** ValidateDeploymentSpec and validateContainers: a selector, at least one container, each with an image. */
function validateDeployment(object: Loose): FieldError[] {
  const errors: FieldError[] = [];
  if (!object.spec?.selector) errors.push(required("spec.selector"));
  const containers: Loose[] = object.spec?.template?.spec?.containers ?? [];
  if (containers.length === 0) errors.push(required("spec.template.spec.containers"));
  containers.forEach((c, i) => {
    if (!c.image) errors.push(required(`spec.template.spec.containers[${i}].image`));
  });
  return errors;
}

/** ValidateService: ports, unless the service is headless or an ExternalName. */
function validateService(object: Loose): FieldError[] {
  const spec: Loose = object.spec ?? {};
  return (spec.ports ?? []).length === 0 && spec.clusterIP !== "None" && spec.type !== "ExternalName"
    ? [required("spec.ports")]
    : [];
}

/** validateHTTPIngressPath: every path names its pathType. */
function validateIngress(object: Loose): FieldError[] {
  const errors: FieldError[] = [];
  (object.spec?.rules ?? []).forEach((rule: Loose, i: number) =>
    (rule.http?.paths ?? []).forEach((p: Loose, j: number) => {
      if (!p.pathType)
        errors.push(required(`spec.rules[${i}].http.paths[${j}].pathType`, "pathType must be specified"));
    }),
  );
  return errors;
}

/** ValidateCrossVersionObjectReference: the scale target names its kind and name. */
function validateHorizontalPodAutoscaler(object: Loose): FieldError[] {
  const target: Loose = object.spec?.scaleTargetRef ?? {};
  return [
    ...(target.kind ? [] : [required("spec.scaleTargetRef.kind")]),
    ...(target.name ? [] : [required("spec.scaleTargetRef.name")]),
  ];
}

/** Namespaces: a namespaced object can only be applied into one that exists. */
export const NAMESPACES: ResourceType = {
  group: "",
  version: "v1",
  resource: "namespaces",
  kind: "Namespace",
  singular: "namespace",
  namespaced: false,
  shortNames: ["ns"],
  schema: root({ spec: struct({ finalizers: listOf(str) }) }),
};

/** CustomResourceDefinitions: storing one makes its kind a served resource type. */
export const CUSTOM_RESOURCE_DEFINITIONS: ResourceType = {
  group: "apiextensions.k8s.io",
  version: "v1",
  resource: "customresourcedefinitions",
  kind: "CustomResourceDefinition",
  singular: "customresourcedefinition",
  namespaced: false,
  shortNames: ["crd", "crds"],
  schema: root({ spec: anything }),
};

/** The built-in resource types served. Adding one here makes discovery, OpenAPI, apply, get, list, watch and delete work for it. */
export const BUILT_IN_RESOURCES: readonly ResourceType[] = [
  NAMESPACES,
  {
    group: "",
    version: "v1",
    resource: "services",
    kind: "Service",
    singular: "service",
    namespaced: true,
    shortNames: ["svc"],
    schema: root({ spec: serviceSpec }),
    validate: validateService,
  },
  {
    group: "",
    version: "v1",
    resource: "configmaps",
    kind: "ConfigMap",
    singular: "configmap",
    namespaced: true,
    shortNames: ["cm"],
    schema: root({ data: stringMap, binaryData: stringMap, immutable: bool }),
  },
  {
    group: "apps",
    version: "v1",
    resource: "deployments",
    kind: "Deployment",
    singular: "deployment",
    namespaced: true,
    shortNames: ["deploy"],
    schema: root({ spec: deploymentSpec }),
    validate: validateDeployment,
  },
  {
    group: "networking.k8s.io",
    version: "v1",
    resource: "ingresses",
    kind: "Ingress",
    singular: "ingress",
    namespaced: true,
    shortNames: ["ing"],
    schema: root({ spec: ingressSpec }),
    validate: validateIngress,
  },
  {
    group: "autoscaling",
    version: "v2",
    resource: "horizontalpodautoscalers",
    kind: "HorizontalPodAutoscaler",
    singular: "horizontalpodautoscaler",
    namespaced: true,
    shortNames: ["hpa"],
    schema: root({ spec: hpaSpec }),
    validate: validateHorizontalPodAutoscaler,
  },
  CUSTOM_RESOURCE_DEFINITIONS,
];

/** What a test says about a custom resource definition to install. */
export interface CustomResourceDefinitionSpec {
  group: string;
  version: string;
  kind: string;
  /** Plural, as in URLs (default: the kind lowercased plus "s"). */
  plural?: string;
  /** Default `Namespaced`. */
  scope?: "Namespaced" | "Cluster";
}

/**
 * A CustomResourceDefinition object whose one version keeps any `spec` (`x-kubernetes-preserve-unknown-fields`),
 * as many real definitions do; the stand-in checks only the top-level structure of its objects.
 */
export function customResourceDefinition(
  spec: CustomResourceDefinitionSpec,
): Record<string, unknown> & { metadata: { name: string } } {
  const plural = spec.plural ?? `${spec.kind.toLowerCase()}s`;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${spec.group}` },
    spec: {
      group: spec.group,
      names: { kind: spec.kind, plural, singular: spec.kind.toLowerCase(), listKind: `${spec.kind}List` },
      scope: spec.scope ?? "Namespaced",
      versions: [
        {
          name: spec.version,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
            },
          },
        },
      ],
    },
  };
}

/** The resource type a stored CustomResourceDefinition serves. */
export function customResourceType(definition: Loose): ResourceType {
  const spec: Loose = definition.spec;
  return {
    group: spec.group,
    version: (spec.versions as Loose[]).find((v) => v.served)?.name,
    resource: spec.names.plural,
    kind: spec.names.kind,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    namespaced: spec.scope !== "Cluster",
    shortNames: spec.names.shortNames ?? [],
    schema: root({ spec: anything }),
  };
}
