/** Why a provider's request was refused; each route family maps these to its own answers. */
export type RejectionKind =
  | 'unknown_source'
  | 'ip_not_allowed'
  | 'rate_limited'
  | 'bad_credentials'
  | 'invalid_request'
  | 'method_not_allowed'
  | 'too_large';

/** A refusal of a provider's request. Plain domain error: no HTTP in it. */
export class Rejection extends Error {
  constructor(
    readonly kind: RejectionKind,
    /** Kept on the inbound record; not necessarily shown to the caller. */
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'Rejection';
  }
}
