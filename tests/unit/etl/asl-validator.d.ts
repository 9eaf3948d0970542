// asl-validator ships JavaScript without type declarations; this is its documented API
// (README "In your code"). Note: the validator adds `QueryLanguage` to every state of the object it is
// given, so callers pass a copy.
declare module "asl-validator" {
  interface AslValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly { readonly message: string; readonly path?: string }[];
    errorsText(separator?: string): string;
  }
  function aslValidator(
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): AslValidationResult;
  export = aslValidator;
}
