import { Rejection, type RejectionKind } from '../rejection';

/** The SNAP response cases this service answers with (`../shared/CONTRACT.md` 3.2). */
export type SnapCase =
  | 'bad_request' // 400SS00
  | 'invalid_field' // 400SS01
  | 'missing_field' // 400SS02
  | 'unauthorized' // 401SS00
  | 'invalid_token' // 401SS01
  | 'method_not_allowed' // 405SS00
  | 'conflict' // 409SS00
  | 'too_large' // 413SS00
  | 'too_many_requests' // 429SS00
  | 'general_error'; // 500SS00

const CASES: Readonly<Record<SnapCase, { http: number; code: string; message: (detail: string) => string }>> = {
  bad_request: { http: 400, code: '00', message: () => 'Bad Request' },
  invalid_field: { http: 400, code: '01', message: (field) => `Invalid Field Format ${field}` },
  missing_field: { http: 400, code: '02', message: (field) => `Invalid Mandatory Field ${field}` },
  unauthorized: { http: 401, code: '00', message: (reason) => `Unauthorized. ${reason}` },
  invalid_token: { http: 401, code: '01', message: () => 'Invalid Token (B2B)' },
  method_not_allowed: { http: 405, code: '00', message: () => 'Requested Function Is Not Supported' },
  conflict: { http: 409, code: '00', message: () => 'Conflict' },
  too_large: { http: 413, code: '00', message: () => 'Payload Too Large' },
  too_many_requests: { http: 429, code: '00', message: () => 'Too Many Requests' },
  general_error: { http: 500, code: '00', message: () => 'General Error' },
};

/** A refusal in SNAP terms; `detail` is the field name or the unauthorized reason. */
export class SnapRejection extends Rejection {
  constructor(
    readonly snapCase: SnapCase,
    detail: string,
    kind: RejectionKind = 'invalid_request',
  ) {
    super(kind, detail);
    this.name = 'SnapRejection';
  }
}

export interface SnapAnswer {
  readonly status: number;
  readonly body: { responseCode: string; responseMessage: string } & Record<string, unknown>;
}

/** `responseCode` = HTTP status + service code + case code. */
export function snapAnswer(service: string, snapCase: SnapCase, detail = ''): SnapAnswer {
  const { http, code, message } = CASES[snapCase];
  return { status: http, body: { responseCode: `${http}${service}${code}`, responseMessage: message(detail) } };
}

/** Maps any refusal, the shared ingress ones too, to its SNAP answer. */
export function answerFor(service: string, error: Rejection, unknownSourceReason: string): SnapAnswer {
  if (error instanceof SnapRejection) return snapAnswer(service, error.snapCase, error.detail);
  switch (error.kind) {
    case 'unknown_source':
      return snapAnswer(service, 'unauthorized', unknownSourceReason);
    case 'ip_not_allowed':
      return snapAnswer(service, 'unauthorized', 'IP not allowed');
    case 'rate_limited':
      return snapAnswer(service, 'too_many_requests');
    case 'bad_credentials':
      return snapAnswer(service, 'unauthorized', error.detail);
    case 'invalid_request':
      return snapAnswer(service, 'bad_request');
    case 'method_not_allowed':
      return snapAnswer(service, 'method_not_allowed');
    case 'too_large':
      return snapAnswer(service, 'too_large');
  }
}
