/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-assignment -- the document is untyped YAML; the tests walk it as such */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

/** A response a test received, kept to be checked against docs/openapi.yaml at the end. */
export interface RecordedResponse {
  template: string;
  method: string;
  status: number;
  contentType: string;
  body: unknown;
}

/**
 * docs/openapi.yaml; an Ajv that knows its components as `openapi#/components/…` (rewrite a schema's
 * `#/components` refs to that before compiling it); `deref` follows a local $ref such as a shared response.
 */
export function loadOpenApi(): { doc: any; ajv: Ajv2020; deref: (o: any) => any } {
  const doc: any = parseYaml(readFileSync(path.resolve(__dirname, '../../docs/openapi.yaml'), 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'openapi', components: doc.components });
  const deref = (o: any): any => (o?.$ref ? deref(o.$ref.split('/').slice(1).reduce((a: any, k: string) => a[k], doc)) : o);
  return { doc, ajv, deref };
}

/** Reads an API answer (its body parsed when JSON), keeps it in `recorded` for the schema check, and returns it. */
export async function readRecorded(recorded: RecordedResponse[], template: string, method: string, res: Response): Promise<{ status: number; body: Record<string, any>; text: string; headers: Headers }> {
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  let body: unknown = text;
  if (contentType.includes('json')) body = JSON.parse(text) as unknown;
  recorded.push({ template, method: method.toLowerCase(), status: res.status, contentType, body });
  return { status: res.status, body: body as Record<string, any>, text, headers: res.headers };
}
