// The request schema: `{"version", "token", "data": [payload, ...]}`, a payload being any JSON object.
// It checks the envelope scanCollection builds, where object payloads appear as empty objects
// (their contents are stored as bytes, never parsed): constrain no payload fields here.
import { type Static, Type } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";

export const collectionSchema = (maxPayloads: number) =>
  Type.Object({
    version: Type.String(),
    token: Type.String(),
    data: Type.Array(Type.Object({}, { additionalProperties: true }), { minItems: 1, maxItems: maxPayloads }),
  });
export type Collection = Static<ReturnType<typeof collectionSchema>>;

/**
 * The schema compiled once into a checker, and the 422 message for a body that fails it: the
 * offending field paths (at most three), never the values (a token could be one).
 */
export function collectionCheck(maxPayloads: number) {
  const compiled = TypeCompiler.Compile(collectionSchema(maxPayloads));
  return {
    check: (envelope: unknown): envelope is Collection => compiled.Check(envelope),
    problems(envelope: unknown): string {
      const lines = new Set<string>();
      for (const { path, message } of compiled.Errors(envelope)) {
        lines.add(`${path || "(root)"}: ${message}`);
        if (lines.size === 3) break;
      }
      return [...lines].join("; ") || "body does not match the collection schema";
    },
  };
}
