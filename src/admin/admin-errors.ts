/** Admin API domain errors; the admin error handler gives them their HTTP status. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
}

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}
