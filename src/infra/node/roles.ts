/**
 * The contract of the multi-process topology (`botv6 node --role ...`, issue 8 part 4): what
 * each role publishes and consumes over the bus bridge, and which roles hold a lease. The
 * nodes themselves are in `nodes.ts`.
 *
 * - data: ingests (feeds, replay, synthetic market) and publishes normalised market data.
 * - strategy: consumes market data and order/position events, publishes trading commands.
 * - execution: one active node per account (an {@link ActiveStandby} lease named after the
 *   account); consumes market data and commands, publishes order, position and account
 *   events. Every execution node (active or standby) has its own consumer group, so a standby
 *   is a hot replica that has read everything the active one has.
 * - model: serves inference over HTTP (issue 7); no bridge channels.
 */
import type { BridgeConfigInput, BridgeKind, ChannelConfig } from "../bridge/config.js";
import { BridgeError } from "../bridge/errors.js";

export type NodeRole = "data" | "strategy" | "execution" | "model";

export const NODE_ROLES: readonly NodeRole[] = ["data", "strategy", "execution", "model"];

/** The channels every node of one deployment agrees on. */
export const STANDARD_CHANNELS: readonly ChannelConfig[] = [
  { name: "md", topics: ["data.*"] },
  { name: "cmd", topics: ["commands.*"] },
  { name: "ev", topics: ["events.order.*", "events.position.*", "events.account.*", "events.node.*"] },
];

const ROLE_FLOWS: Record<NodeRole, { publish: string[]; consume: string[] }> = {
  data: { publish: ["md"], consume: [] },
  strategy: { publish: ["cmd"], consume: ["md", "ev"] },
  // The execution node also reads market data: its simulated venue advances with it.
  execution: { publish: ["ev"], consume: ["md", "cmd"] },
  model: { publish: [], consume: [] },
};

/** Consumer groups per role: every strategy node shares one group, execution nodes another. */
const ROLE_GROUPS: Record<NodeRole, string> = {
  data: "data",
  strategy: "strategies",
  execution: "execution",
  model: "model",
};

export interface NodePlanInput {
  role: string;
  nodeId: string;
  bridge: { kind: BridgeKind; url: string; namespace?: string } & Partial<BridgeConfigInput>;
  /** Required for the execution role: the account this node trades. */
  accountId?: string;
}

export interface NodePlan {
  readonly role: NodeRole;
  /** Bridge configuration, or null for roles that use none. */
  readonly bridge: BridgeConfigInput | null;
  /** Lease to hold before trading (execution role), or null. */
  readonly lease: { readonly name: string } | null;
}

/** Validates the role and derives its bridge configuration and lease. Errors name the setting. */
export function planNode(input: NodePlanInput): NodePlan {
  if (!NODE_ROLES.includes(input.role as NodeRole)) {
    throw new BridgeError(
      "NODE_ROLE_INVALID",
      `node.role: "${input.role}" is not one of ${NODE_ROLES.join(", ")}`,
      { setting: "node.role", value: input.role },
    );
  }
  const role = input.role as NodeRole;
  if (role === "execution" && (input.accountId === undefined || input.accountId === "")) {
    throw new BridgeError(
      "NODE_ACCOUNT_REQUIRED",
      "node.accountId: an execution node needs the account it owns",
      {
        setting: "node.accountId",
      },
    );
  }
  const flow = ROLE_FLOWS[role];
  // Each execution node reads everything in a group of its own (a standby is a hot replica).
  // Commands are routed to their account by topic (commands.node.<account>); other accounts'
  // frames are read and ignored.
  const group =
    role === "execution" ? `${ROLE_GROUPS.execution}-${input.accountId}-${input.nodeId}` : ROLE_GROUPS[role];
  const bridge: BridgeConfigInput | null =
    flow.publish.length === 0 && flow.consume.length === 0
      ? null
      : {
          channels: [...STANDARD_CHANNELS],
          group,
          ...input.bridge,
          nodeId: input.nodeId,
          publish: flow.publish,
          consume: flow.consume,
        };
  return { role, bridge, lease: role === "execution" ? { name: `account:${input.accountId}` } : null };
}
