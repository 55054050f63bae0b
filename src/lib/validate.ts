/** Checks an option in a constructor: returns `value`, or throws a TypeError naming the option. */
export function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`Expected \`${name}\` to be a positive integer, got \`${String(value)}\``);
  }
  return value;
}
