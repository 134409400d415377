/** Exhaustive dispatch: a value the types say cannot exist fails the build here. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${String(value)}`);
}
