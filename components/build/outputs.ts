/**
 * What the `build` job leaves for later jobs and for reruns; shared by the component definition
 * and the job script (which cannot be imported without running).
 */

/** The OCI label that records the commit an image was built from; a rerun's reuse check reads it. */
export const REVISION_LABEL = "org.opencontainers.image.revision";
