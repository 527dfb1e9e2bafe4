// Goal: the OpenAPI 3.1 document of the HTTP face is valid, matches what the routes do,
// is the committed docs/openapi.json, and is served at GET /openapi.json without taking
// any route of the contract: both Rinha routes, every error status with the {error,
// message} body, the Idempotency-Key header and the Idempotency-Replayed answer header.
// Method: a real validator (@apidevtools/swagger-parser, OpenAPI 3.1 schema and
// semantics) on the document an app built without listening serves; the routes' own
// schemas compared with the document's; the header pattern checked against the facade's
// key parser on accepted and refused keys.
import { readFileSync } from 'node:fs';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { TRANSACAO_BODY_SCHEMA, TRANSACAO_RESPONSE_SCHEMA } from '../http-facade/contract.js';
import { parseIdempotencyKey } from '../http-facade/idempotency-key.js';
import { renderOpenApiDocument } from '../scripts/generate-openapi.js';

interface ErrorSchema {
  required?: string[];
  properties: { error: { enum?: string[] } };
}

interface Operation {
  parameters: Array<{ name: string; in: string; schema: { pattern?: string } }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<
    string,
    { headers?: Record<string, unknown>; content: Record<string, { schema: ErrorSchema }> }
  >;
}

const rendered = await renderOpenApiDocument();
const document = JSON.parse(rendered);
const posting: Operation = document.paths['/clientes/{id}/transacoes'].post;
const statement: Operation = document.paths['/clientes/{id}/extrato'].get;

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 for a real validator', async () => {
    expect(document.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeDefined();
  });

  it('the validator does fail on a broken copy', async () => {
    const broken = structuredClone(document);
    broken.paths['/clientes/{id}/transacoes'].post.responses = 'none';
    await expect(SwaggerParser.validate(broken)).rejects.toThrow();
  });

  it('is the committed docs/openapi.json', () => {
    expect(readFileSync('docs/openapi.json', 'utf8')).toBe(rendered);
  });

  it('has the two contract routes and no other', () => {
    expect(Object.keys(document.paths).sort()).toEqual([
      '/clientes/{id}/extrato',
      '/clientes/{id}/transacoes',
    ]);
  });

  it('describes the posting with the schemas the route uses', () => {
    expect(posting.requestBody?.content['application/json']?.schema).toEqual(TRANSACAO_BODY_SCHEMA);
    expect(posting.responses['200']?.content['application/json']?.schema).toEqual(
      TRANSACAO_RESPONSE_SCHEMA,
    );
  });

  it('lists every error status with its codes and the {error, message} body', () => {
    const codes = (operation: Operation, status: string) =>
      operation.responses[status]?.content['application/json']?.schema.properties.error.enum;
    expect(Object.keys(posting.responses).sort()).toEqual([
      '200',
      '400',
      '404',
      '408',
      '413',
      '414',
      '415',
      '422',
      '431',
      '500',
      '502',
      '503',
      '504',
    ]);
    expect(codes(posting, '422')).toEqual([
      'balance_overflow',
      'idempotency_key_reused',
      'invalid_transaction',
      'limit_exceeded',
    ]);
    expect(codes(posting, '400')).toContain('invalid_idempotency_key');
    expect(codes(posting, '503')).toEqual(['ledger_unavailable']);
    expect(codes(posting, '504')).toEqual(['ledger_timeout']);
    expect(statement.responses['422']).toBeUndefined();
    expect(codes(statement, '400')).not.toContain('invalid_idempotency_key');
    for (const operation of [posting, statement]) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (status === '200') continue;
        expect(response.content['application/json']?.schema.required).toEqual(['error', 'message']);
      }
    }
  });

  it('documents the Idempotency-Key header and the replay headers of the posting', () => {
    const header = posting.parameters.find((parameter) => parameter.in === 'header');
    expect(header?.name).toBe('Idempotency-Key');
    expect(statement.parameters.some((parameter) => parameter.in === 'header')).toBe(false);
    expect(Object.keys(posting.responses['200']?.headers ?? {}).sort()).toEqual([
      'Idempotency-Replayed',
      'Transaction-Id',
    ]);
    expect(Object.keys(posting.responses['422']?.headers ?? {})).toEqual(['Idempotency-Replayed']);
    const pattern = new RegExp(header?.schema.pattern ?? '$^');
    const values = [
      'abc',
      '"abc"',
      '"a\\"b"',
      'k'.repeat(64),
      `"${'k'.repeat(64)}"`,
      'k'.repeat(65),
      `"${'k'.repeat(65)}"`,
      '""',
      '"abc',
      'a b',
      '"a\\b"',
      'ção',
    ];
    for (const value of values) {
      expect(pattern.test(value), value).toBe(parseIdempotencyKey(value).ok);
    }
  });
});
