// One linter for all TypeScript (lib, test, scripts, bench, and the notebooks' code cells through
// scripts/format-notebooks.ts): ESLint's and typescript-eslint's recommended rules, with the
// formatting rules left to Prettier.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

export default tseslint.config(
  {
    ignores: ["node_modules/", "out/", "data/", "native/", "notebooks/lib/", "**/*.js", "**/*.mjs"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      // Optional modules (tfjs-node, tslab, the native BLAS addon) are loaded with require(), so
      // that a missing one is a message rather than a failed import.
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      // Prettier wraps code at 100 characters but not comments: keep them within it too (long
      // strings, templates, regular expressions and URLs cannot be wrapped and are let through).
      "max-len": [
        "error",
        {
          code: 100,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
          ignoreUrls: true,
        },
      ],
    },
  },
  {
    // Tests read untyped JSON (safetensors headers, Plotly layouts) field by field.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // Notebook cells, linted as one module by scripts/format-notebooks.ts. tslab compiles a cell's
    // top-level names to `exports.name` but leaves shorthand properties `{ name }` alone, which
    // then fail with "name is not defined": write `{ name: name }` in cells.
    files: ["notebooks/*.cells.ts"],
    // A verdict's summary is a tagged template on a claim (lib/claims/verdict.ts) whose value,
    // the claim itself, need not be kept.
    rules: {
      "object-shorthand": ["error", "never"],
      "@typescript-eslint/no-unused-expressions": ["error", { allowTaggedTemplates: true }],
    },
  },
);
