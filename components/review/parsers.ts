/**
 * The parser of review's own `domain` input (the generic ones are in runtime/input-parsers.ts).
 */
import type { Parser } from "../../runtime/contract.ts";
import { InputError } from "../../runtime/errors.ts";
import { isDnsSubdomain } from "./names.ts";

/** `domain`: the review apps' parent domain, lowercase labels joined by dots. */
export const reviewDomain: Parser<string> = (raw, { input, variable }) => {
  const domain = raw ?? "";
  const fix =
    "set domain to the review cluster's wildcard domain: lowercase labels joined by dots, such as review.example.com";
  if (domain === "") throw new InputError(input, raw, `is empty (job variable ${variable})`, fix);
  if (!isDnsSubdomain(domain) || !domain.includes(".")) throw new InputError(input, domain, "is not a DNS domain", fix);
  return domain;
};
