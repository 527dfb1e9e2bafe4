// The subset of protoc-gen-validate (PGV) rules that Envoy enforces when it loads a
// configuration and that matter for a hand-written static config: required fields
// and oneofs, numeric and duration bounds, string lengths and list sizes. Rules are
// read from the `(validate.rules)` options protobufjs parses out of Envoy's protos.
import type protobuf from 'protobufjs';

interface NumericRules {
  readonly const?: number;
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
  readonly in?: readonly number[];
  readonly not_in?: readonly number[];
}

interface DurationValue {
  readonly seconds?: number;
  readonly nanos?: number;
}

interface DurationRules {
  readonly required?: boolean;
  readonly gt?: DurationValue;
  readonly gte?: DurationValue;
  readonly lt?: DurationValue;
  readonly lte?: DurationValue;
}

interface StringRules {
  readonly min_len?: number;
  readonly max_len?: number;
  readonly min_bytes?: number;
  readonly max_bytes?: number;
  readonly prefix?: string;
  readonly in?: readonly string[];
}

export interface ValidateRules {
  readonly message?: { readonly required?: boolean };
  readonly any?: { readonly required?: boolean };
  readonly timestamp?: { readonly required?: boolean };
  readonly duration?: DurationRules;
  readonly string?: StringRules;
  readonly repeated?: {
    readonly min_items?: number;
    readonly max_items?: number;
    readonly items?: ValidateRules;
  };
  readonly [numericKind: string]: unknown;
}

const NUMERIC_KINDS = [
  'double',
  'float',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
] as const;

/** Protobuf's JSON name: each underscore dropped and the next letter capitalised. */
export function jsonNameOf(fieldName: string): string {
  return fieldName.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

/** The field's `(validate.rules)`, merged from every option statement that sets them. */
export function validateRulesOf(field: protobuf.FieldBase): ValidateRules | undefined {
  const parsed = (field.parsedOptions ?? []) as Record<string, unknown>[];
  const entries = parsed
    .map((option) => option['(validate.rules)'])
    .filter((rules): rules is ValidateRules => typeof rules === 'object' && rules !== null);
  return entries.length === 0 ? undefined : Object.assign({}, ...entries);
}

function isPresent(field: protobuf.Field, value: Record<string, unknown>): boolean {
  return field.name in value || jsonNameOf(field.name) in value;
}

function isRequiredWhenMissing(rules: ValidateRules): boolean {
  return (
    rules.message?.required === true ||
    rules.any?.required === true ||
    rules.timestamp?.required === true ||
    rules.duration?.required === true ||
    (rules.string?.min_len ?? 0) > 0 ||
    (rules.string?.min_bytes ?? 0) > 0 ||
    (rules.repeated?.min_items ?? 0) > 0
  );
}

/** PGV's `ignore_empty`: the rules of that kind apply only to a non-default value. */
function ignoresEmpty(rules: ValidateRules): boolean {
  return Object.values(rules).some(
    (kindRules) =>
      typeof kindRules === 'object' &&
      kindRules !== null &&
      (kindRules as { ignore_empty?: boolean }).ignore_empty === true,
  );
}

/** Rules that fail when a field is left out: PGV checks the default value too. */
export function checkMissingFieldRules(
  type: protobuf.Type,
  value: Record<string, unknown>,
  at: string,
  problems: string[],
): void {
  for (const field of type.fieldsArray) {
    if (isPresent(field, value) || field.partOf !== null) continue;
    const rules = validateRulesOf(field);
    if (rules === undefined || ignoresEmpty(rules)) continue;
    if (isRequiredWhenMissing(rules)) {
      problems.push(`${at}: required field "${field.name}" is missing`);
    } else if (!field.repeated && field.resolvedType === null && field.type !== 'bool') {
      checkNumericRules(rules, 0, `${at}.${field.name} (default 0)`, problems);
    }
  }
  for (const oneof of type.oneofsArray) {
    const required = oneof.options?.['(validate.required)'] === true;
    if (required && !oneof.fieldsArray.some((field) => isPresent(field, value))) {
      problems.push(`${at}: one of ${oneof.fieldsArray.map((f) => f.name).join(', ')} is required`);
    }
  }
}

/** Rules on a value that is present (already known to have the right JSON type). */
export function checkPresentValueRules(
  rules: ValidateRules | undefined,
  value: unknown,
  at: string,
  problems: string[],
): void {
  if (rules === undefined) return;
  if (Array.isArray(value)) {
    checkListSize(rules, value.length, at, problems);
    return;
  }
  if (typeof value === 'string' && rules.string !== undefined) {
    checkString(rules.string, value, at, problems);
  }
  if (typeof value === 'string' && rules.duration !== undefined) {
    checkDuration(rules.duration, value, at, problems);
  }
  if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+$/.test(value))) {
    checkNumericRules(rules, Number(value), at, problems);
  }
}

function checkListSize(rules: ValidateRules, length: number, at: string, problems: string[]) {
  const min = rules.repeated?.min_items;
  const max = rules.repeated?.max_items;
  if (min !== undefined && length < min) problems.push(`${at}: needs at least ${min} items`);
  if (max !== undefined && length > max) problems.push(`${at}: allows at most ${max} items`);
}

function checkString(rules: StringRules, value: string, at: string, problems: string[]): void {
  const length = [...value].length;
  const bytes = Buffer.byteLength(value);
  if (rules.min_len !== undefined && length < rules.min_len) {
    problems.push(`${at}: shorter than ${rules.min_len} characters`);
  }
  if (rules.max_len !== undefined && length > rules.max_len) {
    problems.push(`${at}: longer than ${rules.max_len} characters`);
  }
  if (rules.min_bytes !== undefined && bytes < rules.min_bytes) {
    problems.push(`${at}: shorter than ${rules.min_bytes} bytes`);
  }
  if (rules.max_bytes !== undefined && bytes > rules.max_bytes) {
    problems.push(`${at}: longer than ${rules.max_bytes} bytes`);
  }
  if (rules.prefix !== undefined && !value.startsWith(rules.prefix)) {
    problems.push(`${at}: must start with ${JSON.stringify(rules.prefix)}`);
  }
  if (rules.in !== undefined && !rules.in.includes(value)) {
    problems.push(`${at}: must be one of ${rules.in.join(', ')}`);
  }
}

function checkNumericRules(rules: ValidateRules, value: number, at: string, problems: string[]) {
  for (const kind of NUMERIC_KINDS) {
    const numeric = rules[kind] as NumericRules | undefined;
    if (numeric !== undefined) checkBounds(numeric, value, String(value), at, problems);
  }
}

function checkBounds(
  rules: NumericRules,
  value: number,
  shown: string,
  at: string,
  problems: string[],
): void {
  const failures = [
    rules.const !== undefined && value !== rules.const && `must equal ${rules.const}`,
    rules.gt !== undefined && !(value > rules.gt) && `must be > ${rules.gt}`,
    rules.gte !== undefined && !(value >= rules.gte) && `must be >= ${rules.gte}`,
    rules.lt !== undefined && !(value < rules.lt) && `must be < ${rules.lt}`,
    rules.lte !== undefined && !(value <= rules.lte) && `must be <= ${rules.lte}`,
    rules.in !== undefined && !rules.in.includes(value) && `must be one of ${rules.in}`,
    rules.not_in?.includes(value) === true && `must not be one of ${rules.not_in}`,
  ];
  for (const failure of failures) {
    if (failure !== false) problems.push(`${at}: ${shown} ${failure}`);
  }
}

/** A protobuf JSON duration ("1.5s") in nanoseconds, as a plain number (exact enough). */
function durationNanos(text: string): number {
  const seconds = Number(text.slice(0, -1));
  return Math.round(seconds * 1e9);
}

function ruleNanos(value: DurationValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  return (value.seconds ?? 0) * 1e9 + (value.nanos ?? 0);
}

function checkDuration(rules: DurationRules, text: string, at: string, problems: string[]) {
  const bounds: NumericRules = {
    ...optional('gt', ruleNanos(rules.gt)),
    ...optional('gte', ruleNanos(rules.gte)),
    ...optional('lt', ruleNanos(rules.lt)),
    ...optional('lte', ruleNanos(rules.lte)),
  };
  checkBounds(bounds, durationNanos(text), `${text} (in ns)`, at, problems);
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
