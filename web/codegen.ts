// GraphQL Code Generator (client preset): types every operation in src/ from the API's
// SDL into src/gql/. `npm run codegen` rewrites it; `npm run codegen:check` (in `make
// lint`) fails when it is out of date with ../schema.graphql or the operations.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema.graphql", // the repository's SDL, no running server needed
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**"],
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        // Components take the fields a fragment selects as plain typed objects.
        fragmentMasking: false,
      },
      config: {
        // The API's custom scalars, as they arrive in JSON.
        scalars: { DateTime: "string", Date: "string", JSON: "unknown" },
        // Enums as string unions (`"ACTIVE" | "COMPLETED" | "ENDED"`), the default.
        enumType: "string-literal",
        useTypeImports: true, // tsconfig's verbatimModuleSyntax
      },
    },
  },
};

export default config;
