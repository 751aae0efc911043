/**
 * A path relative to the project directory, checked by GitLab when the component is included (input
 * `regex` is RE2, matched before variables are expanded): no leading `/`, no `..` component, no
 * whitespace. What a variable expands to is confined by the runner itself, which refuses to upload
 * an artifact or report path outside the project directory ("artifact path is not a subpath of
 * project directory", gitlab-runner commands/helpers/file_archiver.go; doc/ci/yaml: artifact paths
 * "are relative to the project directory ($CI_PROJECT_DIR) and can't directly link outside it").
 * The job is plain shell in the application's image, so no script of ours could check more.
 */
const COMPONENT = "(\\.?[^./\\s][^/\\s]*|\\.\\.[^/\\s]+|\\.)";
const PROJECT_PATH = `^(${COMPONENT}/)*${COMPONENT}$`;

/**
 * `test`: run the application's own test commands inside the image `build` just pushed, and hand
 * GitLab their JUnit and Cobertura reports. The job runs in the application's image, which may
 * have no Node, so its script is the consumer's command list itself (plain shell).
 */
import { defineComponent } from "../../generator/component.ts";
import { job } from "../../generator/job.ts";
import {
  BUILD_JOB_INPUT,
  CHANGE_GUARDS,
  guardedRules,
  MERGE_REQUEST_AND_DEFAULT_BRANCH_RULES,
  needsBuild,
  rulesInput,
} from "../common.ts";

export default defineComponent(import.meta.url, {
  name: "test",
  description:
    "Runs the application's test commands in the freshly built image (GITOPS_IMAGE of the build job it needs) and publishes their JUnit report, Cobertura coverage report and coverage percentage.",
  inputs: () => ({
    stage: {
      type: "string",
      description:
        "The stage the job runs in: build's stage or a later one. The job needs the build job, so it starts as soon as the image exists whatever the stage order.",
      default: "test",
    },
    job_name: {
      type: "string",
      description: "The job's name. Change it to include the component more than once in a pipeline.",
      default: "test",
      regex: "^[A-Za-z0-9_. /:-]+$",
    },
    build_job: BUILD_JOB_INPUT,
    image: {
      type: "string",
      description:
        "The image the tests run in. The default is the image build_job pushed, by digest (GITOPS_IMAGE from that job's dotenv report, and from no other job's). Its ENTRYPOINT is overridden (entrypoint: [\"\"]), so the runner's shell runs the commands whatever the image would start.",
      default: "$GITOPS_IMAGE",
    },
    script: {
      type: "array",
      description: "The test commands, run by the image's shell in order; the job fails at the first that fails.",
      example: ["npm test"],
    },
    junit: {
      type: "string",
      description:
        "The JUnit XML report the commands write, relative to the project directory (no leading /, no .. component; GitLab's runner uploads nothing outside the project directory). A missing file only warns.",
      default: "junit.xml",
      regex: PROJECT_PATH,
    },
    coverage_report: {
      type: "string",
      description:
        "The Cobertura XML coverage report the commands write, relative to the project directory (no leading /, no .. component; GitLab's runner uploads nothing outside the project directory), shown in merge request diffs. A missing file only warns.",
      default: "coverage/cobertura-coverage.xml",
      regex: PROJECT_PATH,
    },
    coverage_regex: {
      type: "string",
      description:
        "The regular expression (between slashes, RE2 syntax) that finds the coverage percentage in the job log. The default matches the `Lines : 87.5%` line of Istanbul, nyc and Jest text summaries; a log without a match shows no coverage.",
      default: "/Lines\\s*:\\s*(\\d+(?:\\.\\d+)?)%/",
      regex: "^/.+/$",
    },
    rules: rulesInput(
      "When the job runs. Default: merge-request and default-branch pipelines, like build. Guards before these rules keep it out of every pipeline of a bump (its commit, its merge commit, its merge request).",
      [...MERGE_REQUEST_AND_DEFAULT_BRANCH_RULES],
    ),
  }),
  jobs: (inputs) => [
    job(inputs.job_name, {
      stage: inputs.stage,
      // The Docker executor hands the job's shell script to the image's ENTRYPOINT; an application
      // image's entrypoint (a server, `node`, a wrapper) would swallow it. An empty entrypoint runs
      // the runner's shell instead (docs.gitlab.com/ci/docker/using_docker_images/#override-the-entrypoint-of-an-image).
      image: { name: inputs.image, entrypoint: [""] },
      // Only build_job's dotenv report reaches the job: another build's GITOPS_IMAGE cannot win.
      needs: [needsBuild(inputs.build_job)],
      rules: guardedRules(CHANGE_GUARDS, inputs.rules),
      script: inputs.script,
      coverage: inputs.coverage_regex,
      artifacts: {
        when: "always",
        reports: {
          junit: inputs.junit,
          coverage_report: { coverage_format: "cobertura", path: inputs.coverage_report },
        },
      },
    }),
  ],
});
