/**
 * What the `build` job leaves for later jobs and for reruns; shared by the component definition
 * and the job script (which cannot be imported without running).
 */

/** The dotenv report the job writes in the project directory (`artifacts:reports:dotenv`). */
export const BUILD_DOTENV = "gitops-build.env";

/** The OCI label that records the commit an image was built from; a rerun's reuse check reads it. */
export const REVISION_LABEL = "org.opencontainers.image.revision";
