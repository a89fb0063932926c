import Protoweave.Statelet

/-!
# Protocols and the network step

A protocol as the exporter emits it: its initial state on a topology, its coherence, its send
transitions and its receive transitions (`core/Protocol.ts`). A transition's payload type is its
tag's payload; `inj` and `payloadOf` move between it and the protocol's message type, one
constructor per tag.

`NetStep` is Disel's `network_step` for one protocol, reorder-only: a node's send, when its role,
its receiver's role and the guard allow it and every send-hook holds (`Hook.lean`), changes only
the sender's local state and posts the message; a receive of an active message addressed to a node,
whose receive transition accepts it, changes only the receiver's local state and consumes the
message. Fault steps (drop, duplicate, crash, restart) are the simulator's and the checker's; the
proofs are about Disel's network.
-/

noncomputable section

namespace Protoweave

/-- A send transition: who may send which payload to whom, and the sender's next local states. -/
structure SendTransition (Topo Locals Msg : Type) where
  name : String
  Payload : Type
  inj : Payload → Msg
  /-- The roles of sender and receiver and the transition's guard, on the sender's local state. -/
  enabled : Topo → Locals → (this to : Node) → Payload → Bool
  /-- Every node's local states after the send: only the sender's changes. -/
  next : Topo → Locals → (this to : Node) → Payload → Locals

/-- A receive transition: which messages a node takes, and its next local states. -/
structure ReceiveTransition (Topo Locals Msg : Type) where
  name : String
  Payload : Type
  /-- The payload of a message of this transition's tag, `none` for other tags. -/
  payloadOf : Msg → Option Payload
  /-- The receiver's role and the transition's `accepts` filter (Disel's `msg_wf`). -/
  accepts : Topo → Locals → (this src : Node) → Payload → Bool
  /-- Every node's local states after the receive: only the receiver's changes. -/
  next : Topo → Locals → (this src : Node) → Payload → Locals

/-- A protocol: initial states on a topology, coherence, transitions. -/
structure Protocol (Topo Locals Msg : Type) where
  label : String
  init : Topo → Locals
  /-- Coherence (Disel's `coh`): `true` when the protocol declares none. -/
  coh : Topo → Statelet Locals Msg → Bool
  sends : List (SendTransition Topo Locals Msg)
  receives : List (ReceiveTransition Topo Locals Msg)

/-- A side condition on sends, supplied by the world a protocol runs in (its send-hooks). -/
abbrev SendCondition (Topo Locals Msg : Type) := Topo → Statelet Locals Msg → (this to : Node) → Msg → Prop

variable {Topo Locals Msg : Type}

/-- The initial statelet: initial local states and an empty soup. -/
def Protocol.initial (P : Protocol Topo Locals Msg) (topo : Topo) : Statelet Locals Msg :=
  { locals := P.init topo, soup := [] }

/-- One step of one node (Disel's `network_step`, without `Idle`), under the send condition
`hooks` of the world (`fun _ _ _ _ _ => True` for a protocol alone). -/
inductive NetStep (P : Protocol Topo Locals Msg) (hooks : SendCondition Topo Locals Msg) (topo : Topo) :
    Statelet Locals Msg → Statelet Locals Msg → Prop
  | send (s : Statelet Locals Msg) (t : SendTransition Topo Locals Msg) (ht : t ∈ P.sends)
      (this to : Node) (m : t.Payload) (h_enabled : t.enabled topo s.locals this to m = true)
      (h_hooks : hooks topo s this to (t.inj m)) :
      NetStep P hooks topo s { locals := t.next topo s.locals this to m, soup := s.soup.post this to (t.inj m) }
  | receive (s : Statelet Locals Msg) (t : ReceiveTransition Topo Locals Msg) (ht : t ∈ P.receives)
      (e : Envelope Msg) (h_in : e ∈ s.soup) (h_active : e.active = true) (m : t.Payload)
      (h_tag : t.payloadOf e.msg = some m) (h_accepts : t.accepts topo s.locals e.dst e.src m = true) :
      NetStep P hooks topo s { locals := t.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id }

/-- The states reachable from the initial one by steps of the protocol. -/
inductive Reachable (P : Protocol Topo Locals Msg) (hooks : SendCondition Topo Locals Msg) (topo : Topo) :
    Statelet Locals Msg → Prop
  | init : Reachable P hooks topo (P.initial topo)
  | step {s s' : Statelet Locals Msg} : Reachable P hooks topo s → NetStep P hooks topo s s' → Reachable P hooks topo s'

/-- No side condition: a protocol on its own. -/
def noHooks : SendCondition Topo Locals Msg := fun _ _ _ _ _ => True

end Protoweave

end
