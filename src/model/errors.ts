/**
 * Typed errors. Every error carries a stable, machine-readable `code` (like Fastify's error
 * codes) so callers, the API and tests can react to the kind of failure without parsing text.
 */
export class BotV6Error extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** A decimal value that cannot be represented exactly, or an arithmetic result out of range. */
export class FixedPointError extends BotV6Error {}

/** A value that breaks an instrument's rules (increment, sign, bounds). */
export class InstrumentValueError extends BotV6Error {}

/** An identifier that is empty or malformed. */
export class IdentifierError extends BotV6Error {}

/** An order that is invalid as constructed (missing price for a limit order, ...). */
export class OrderError extends BotV6Error {}

/** An order event that the order's state machine does not allow in its current state. */
export class InvalidStateTransitionError extends BotV6Error {}
