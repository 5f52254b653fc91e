// The request schema: `{"version", "token", "data": [payload, ...]}`, a payload being any JSON object.
// It checks the envelope scanCollection builds, where object payloads appear as empty objects
// (their contents are stored as bytes, never parsed): constrain no payload fields here.
import { t } from "elysia";

export const collectionSchema = (maxPayloads: number) =>
  t.Object({
    version: t.String(),
    token: t.String(),
    data: t.Array(t.Object({}, { additionalProperties: true }), { minItems: 1, maxItems: maxPayloads }),
  });
