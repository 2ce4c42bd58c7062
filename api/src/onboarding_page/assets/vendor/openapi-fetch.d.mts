// Types of the vendored openapi-fetch.mjs (a byte-for-byte copy of the npm package's
// dist/index.mjs, checked by clients/check.sh): the package's own declarations.
export * from "openapi-fetch";
export { default } from "openapi-fetch";
