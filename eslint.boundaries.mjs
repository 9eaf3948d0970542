// The repository's one architectural rule, enforced: every artifact the cloud runs is built once by a pure
// function, and both backends consume that value. So the code that runs outside Pulumi (the local backend, the
// device simulator, the Lambda/Glue handlers) never imports the Pulumi SDK, the components package never reaches
// back into the programs built on it, and the handlers never depend on the local backend. ARCHITECTURE.md draws
// the map; tests/unit/policies/import-boundaries.test.ts proves `npm run lint` fails on a breach.

/** Any relative specifier that climbs out of its folder (`../`, `../../`, ...) and then enters one of `dirs`. */
function climbingInto(dirs) {
  return `^(\\.\\./)+(${dirs.join("|")})(/|$)`;
}

const noPulumi = {
  group: ["@pulumi/*"],
  message:
    "The Pulumi SDK belongs to components/ and the programs (index.ts, policies/): build the value with a pure function in components/ and import that instead.",
};

/** @type {import("eslint").Linter.Config[]} */
export const importBoundaries = [
  {
    files: ["local/**/*.ts", "devices/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [noPulumi] }] },
  },
  {
    files: ["functions/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            noPulumi,
            {
              regex: climbingInto(["local"]),
              message:
                "Handlers run in the cloud: they never depend on the local backend. Move the shared logic into components/ (pure) or functions/.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["components/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: climbingInto(["local", "devices", "policies"]),
              message:
                "The components package stands alone: it never imports local/, devices/ or policies/. Move the shared value into components/ and import it from there.",
            },
          ],
        },
      ],
    },
  },
];
