import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';

// One ajv instance for the whole process: schemas compile once and share formats.
export const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, discriminator: true });
addFormats(ajv);

/** The JSON path at fault and a short reason, from ajv's first error. */
export function describeFirstError(errors: readonly ErrorObject[] | null | undefined): {
  path: string;
  message: string;
} {
  const error = errors?.[0];
  if (!error) return { path: '/', message: 'is invalid' };
  const path = error.instancePath || '/';
  switch (error.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const property = String((error.params as { additionalProperty?: string }).additionalProperty);
      return { path: joinPath(error.instancePath, property), message: 'is not a known property' };
    }
    case 'required': {
      const property = String((error.params as { missingProperty?: string }).missingProperty);
      return { path: joinPath(error.instancePath, property), message: 'is required' };
    }
    case 'discriminator': {
      const tag = String((error.params as { tag?: string }).tag);
      return { path: joinPath(error.instancePath, tag), message: 'is not a known type' };
    }
    default:
      return { path, message: error.message ?? 'is invalid' };
  }
}

export function joinPath(base: string, property: string): string {
  return `${base}/${property.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}
