// asl-validator ships no types: the part of its API the tests use.
declare module 'asl-validator' {
  export default function aslValidator(definition: unknown): { isValid: boolean; errorsText: (separator?: string) => string };
}
