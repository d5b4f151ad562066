import { BotV6Error } from "../../model/errors.js";

/**
 * A bridge failure. Codes: `BRIDGE_CONFIG_INVALID` (names the setting), `BRIDGE_CONNECT_FAILED`
 * (names the setting and the address), `BRIDGE_BACKPRESSURE` (the outbound buffer is full),
 * `BRIDGE_NOT_RUNNING`, `BRIDGE_SEND_FAILED`.
 */
export class BridgeError extends BotV6Error {}
