import type { ErrorObject, ValidateFunction } from 'ajv';
import { SnapRejection } from './snap-rejection';

// Shared pieces of the notify schemas, from the seed documents' tables.
export const text = (maxLength: number) => ({ type: 'string', maxLength }) as const;
export const mandatoryText = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
export const amountSchema = {
  type: 'object',
  properties: {
    value: { type: 'string', pattern: '^\\d{1,16}\\.\\d{2}$' },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
  },
  required: ['value', 'currency'],
} as const;
export const additionalInfo = { type: 'object' } as const;
// References become the events' keys and columns: no control characters (PostgreSQL text cannot
// even hold U+0000), as on the biller route.
const NO_CONTROL_CHARACTERS = '^[^\\u0000-\\u001f\\u007f]*$';
export const referenceText = (maxLength: number) => ({ type: 'string', maxLength, pattern: NO_CONTROL_CHARACTERS }) as const;
export const mandatoryReference = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: NO_CONTROL_CHARACTERS }) as const;

/** Runs the schema; its first error becomes `Invalid Mandatory Field x` or `Invalid Field Format x`. */
export function validateBody<T>(validate: ValidateFunction<T>, body: unknown): T {
  if (validate(body)) return body;
  throw toRejection(validate.errors?.[0]);
}

function toRejection(error: ErrorObject | undefined): SnapRejection {
  if (!error) return new SnapRejection('bad_request', 'body');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return new SnapRejection('missing_field', fieldName(error.instancePath, missing));
  }
  const field = fieldName(error.instancePath);
  // An empty mandatory string is as good as a missing one.
  if (error.keyword === 'minLength' && (error.params as { limit: number }).limit === 1) {
    return new SnapRejection('missing_field', field);
  }
  if (error.keyword === 'minItems' && (error.params as { limit: number }).limit === 1) {
    return new SnapRejection('missing_field', field);
  }
  return new SnapRejection('invalid_field', field);
}

/** `/bulkObject/0/amount` + `value` → `bulkObject[0].amount.value`. */
export function fieldName(instancePath: string, property?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (property !== undefined) parts.push(property);
  if (parts.length === 0) return 'body';
  return parts.reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name ? `${name}.${part}` : part), '');
}
