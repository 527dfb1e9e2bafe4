// Generators (fast-check) of transaction bodies as raw JSON text, so that what
// JSON.stringify cannot write is covered too: -0, exponents, numbers beyond double
// range, lone surrogates, duplicate keys. Each field is a literal known to be valid
// or invalid under the contract, so a test knows the exact status to expect.
import fc from 'fast-check';

export interface FieldLiteral {
  readonly text: string;
  readonly valid: boolean;
}

const literal = (text: string, valid: boolean): FieldLiteral => ({ text, valid });
const json = (value: unknown) => JSON.stringify(value);

/** Numbers JSON.parse reads as an integer from 1 to 2147483647, in odd spellings. */
export const validValorText = fc.oneof(
  fc.integer({ min: 1, max: 2_147_483_647 }).map(String),
  fc.integer({ min: 1, max: 100_000 }).map((n) => `${n}.0`),
  fc.integer({ min: 1, max: 9 }).map((n) => `${n}e0`),
  fc.integer({ min: 1, max: 9 }).map((n) => `${n}0e-1`),
  fc.constantFrom('2147483647', '1E0', '1.00', '21474836.47e2', '1e2'),
);

export const invalidValorText = fc.oneof(
  fc.integer({ min: -2_147_483_648, max: 0 }).map(String),
  fc.integer({ min: 2_147_483_648, max: Number.MAX_SAFE_INTEGER }).map(String),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((x) => !Number.isInteger(x))
    .map(String),
  fc.constantFrom(
    '-0',
    '0',
    '0.0',
    '-1',
    '1.5',
    '1e400',
    '-1e400',
    '1e-7',
    '2147483648',
    '99999999999999999999999999',
    '"100"',
    '"1"',
    'true',
    'false',
    'null',
    '[1]',
    '{"valor":1}',
    '""',
  ),
);

export const validTipoText = fc.constantFrom('"c"', '"d"');
export const invalidTipoText = fc.oneof(
  fc
    .string({ maxLength: 3 })
    .filter((s) => s !== 'c' && s !== 'd')
    .map(json),
  fc.constantFrom('"C"', '"D"', '" c"', '"cd"', '"credit"', '1', 'null', 'true', '["c"]', '{}'),
);

/** 1 to 10 code points, well-formed, no NUL: what the contract accepts verbatim. */
export const validDescricao = fc
  .oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 }),
    fc.constantFrom(
      "'; DROP --",
      "' OR 1=1--",
      '$$;--',
      'a\\b%_',
      '"quoted"',
      '\t\n\r\u0001\u001f',
      '😀ação',
      '\u202e\u200b',
      'NULL',
    ),
  )
  .filter((s) => s.isWellFormed() && !s.includes('\u0000') && [...s].length <= 10);

export const invalidDescricaoText = fc.oneof(
  fc.string({ unit: 'binary', minLength: 11, maxLength: 200 }).map(json),
  fc.string({ unit: 'binary', maxLength: 9 }).map((s) => json(`${s}\u0000`)),
  fc.constantFrom(
    '""',
    'null',
    '1',
    'true',
    '["a"]',
    '{}',
    '"a\\ud800b"',
    '"\\udfff"',
    '"12345678901"',
    '"ação ação!!"',
  ),
  fc.integer({ min: 1000, max: 5000 }).map((n) => json('x'.repeat(n))),
);

const extraKey = fc
  .string({ maxLength: 12 })
  .filter((k) => !['valor', 'tipo', 'descricao', '__proto__', 'constructor'].includes(k));

/**
 * JSON values clear of prototype poisoning. A "__proto__" key at any depth, or a
 * "constructor" holding a "prototype", is refused as such (400) before the fields are
 * looked at (tests/facade-app.test.ts covers it); fast-check favours these very names.
 * Generated values stay clear of them (and of "prototype" altogether), so the oracles
 * stay simple.
 */
const unpoisonedJsonValue = fc
  .jsonValue({ maxDepth: 3 })
  .filter((value) => !/"(__proto__|prototype)"/.test(JSON.stringify(value) ?? ''));

const extraValue = unpoisonedJsonValue;

const extraField = fc
  .tuple(extraKey, extraValue)
  .map(([key, value]) => `${json(key)}:${json(value) ?? 'null'}`);

type FieldName = 'valor' | 'tipo' | 'descricao';

const field = (name: FieldName, valid: fc.Arbitrary<string>, invalid: fc.Arbitrary<string>) =>
  fc
    .oneof(
      valid.map((text) => [literal(text, true)]),
      invalid.map((text) => [literal(text, false)]),
      fc.constant([]), // missing
      // A duplicate key: JSON.parse keeps the last one.
      fc.tuple(invalid, valid).map(([a, b]) => [literal(a, false), literal(b, true)]),
      fc.tuple(valid, invalid).map(([a, b]) => [literal(a, true), literal(b, false)]),
    )
    .map((literals) => literals.map((l) => ({ name, ...l })));

export interface GeneratedBody {
  readonly text: string;
  /** True when the last occurrence of every field is present and valid. */
  readonly valid: boolean;
}

/** A JSON object with the three fields, each valid, invalid, missing or repeated. */
export const transactionObject: fc.Arbitrary<GeneratedBody> = fc
  .tuple(
    field('valor', validValorText, invalidValorText),
    field('tipo', validTipoText, invalidTipoText),
    field('descricao', validDescricao.map(json), invalidDescricaoText),
    fc.array(extraField, { maxLength: 3 }),
  )
  .chain(([valor, tipo, descricao, extras]) => {
    const members = [...valor, ...tipo, ...descricao].map((m) => ({
      text: `${json(m.name)}:${m.text}`,
      member: m,
    }));
    const all = [...members.map((m) => m.text), ...extras];
    return fc
      .shuffledSubarray(all, { minLength: all.length, maxLength: all.length })
      .map((ordered) => {
        // Validity depends on which occurrence of each field comes last.
        const last = new Map<string, boolean>();
        for (const text of ordered) {
          const found = members.find((m) => m.text === text);
          if (found) last.set(found.member.name, found.member.valid);
        }
        const valid = ['valor', 'tipo', 'descricao'].every((name) => last.get(name) === true);
        return { text: `{${ordered.join(',')}}`, valid };
      });
  });

/** Well-formed JSON that is not an object: every one is a 422. */
export const nonObjectJson = unpoisonedJsonValue
  .filter((value) => typeof value !== 'object' || value === null || Array.isArray(value))
  .map((value) => json(value) ?? 'null');
