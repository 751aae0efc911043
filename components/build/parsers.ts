/**
 * The parsers of build's own inputs (the generic ones are in runtime/input-parsers.ts): the tags
 * and build arguments, each item checked, so every wrong item is named before anything is built.
 */
import type { Parser } from "../../runtime/contract.ts";
import { InputError } from "../../runtime/errors.ts";
import { listText } from "../../runtime/env.ts";
import { isImageTag } from "../../runtime/image-reference.ts";

const TAG_RULE = "letters, digits, _ . -, at most 128, not starting with . or -";

/** `tags`: at least one, each a valid image tag; duplicates dropped, the first kept first. */
export const imageTags: Parser<string[], "array"> = (raw, { input, variable }) => {
  const tags = listText(raw, input, variable);
  const none = "give at least one tag; the default is the commit SHA ([$CI_COMMIT_SHA])";
  if (tags.length === 0) throw new InputError(input, "[]", "is empty", none);
  for (const tag of tags)
    if (!isImageTag(tag))
      throw new InputError(input, tag, `is not a valid image tag (${TAG_RULE})`, "fix or remove that tag");
  return [...new Set(tags)];
};

/** `build_args`: each `KEY=VALUE`. */
export const buildArguments: Parser<string[], "array"> = (raw, { input, variable }) => {
  const args = listText(raw, input, variable);
  for (const arg of args)
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(arg))
      throw new InputError(input, arg, "is not KEY=VALUE", "write each build argument as KEY=VALUE");
  return args;
};
