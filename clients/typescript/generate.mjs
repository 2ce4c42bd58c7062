// Generates typescript/generated/schema.d.ts from the repository's openapi.yaml, as the
// onboarding UI does. One setting beyond the defaults: a `format: binary` field (the logo
// upload's `file`) is a Blob, which is what a browser sends in a form (openapi-typescript
// would type it as a string).
import fs from "node:fs";
import ts from "typescript";
import openapiTS, { astToString } from "openapi-typescript";

const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier("Blob"));
const ast = await openapiTS(new URL("../../openapi.yaml", import.meta.url), {
  transform(schema) {
    if (schema.format === "binary") {
      return BLOB;
    }
    return undefined;
  },
});
const out = new URL("./generated/", import.meta.url);
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(new URL("schema.d.ts", out), astToString(ast));
