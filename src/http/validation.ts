import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const COMMON: Options = {
  removeAdditional: false,
  useDefaults: true,
  allErrors: false,
  strict: false,
};

/**
 * Query strings and path parameters arrive as text, so they are coerced to
 * the declared types. Bodies are JSON and are taken exactly as sent: an
 * amount sent as the number 1500 is refused, never quietly turned into "1500".
 */
const forText = addFormats.default(new Ajv({ ...COMMON, coerceTypes: 'array' }));
const forJson = addFormats.default(new Ajv({ ...COMMON, coerceTypes: false }));

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? forJson : forText;
  return ajv.compile(schema as object);
};
