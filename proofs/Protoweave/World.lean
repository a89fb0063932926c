import Protoweave.Invariant
import Protoweave.Hook

/-!
# Worlds

Disel's worlds (`Core/Worlds.v`, `Core/InductiveInv.v`) for a core protocol and a client protocol
hooked on it. A world steps either protocol; a client send also needs every hook on its tag to
hold. World invariants relate the two statelets, and the exporter states one obligation per
invariant and transition of either protocol (`<inv>_preserved_by_<label>_<transition>`), each
assuming the core's own invariants and every world invariant. `World.Inductive.always` turns them
into a fact about every reachable world state, given that the core's invariants hold on its
reachable states (proved of the core alone: hooks only remove steps, and not the core's).
-/

noncomputable section

namespace Protoweave

/-- A world of two protocols under distinct labels, and the hooks of the client on the core. -/
structure World (TC LC MC TQ LQ MQ : Type) where
  core : Protocol TC LC MC
  client : Protocol TQ LQ MQ
  hooks : List (Hook TC LC LQ MQ)

variable {TC LC MC TQ LQ MQ : Type}

/-- The state of a world: the core's statelet and the client's. -/
abbrev WorldState (LC MC LQ MQ : Type) := Statelet LC MC × Statelet LQ MQ

/-- The condition the hooks put on the client's sends while the core is in state `c`. -/
def World.hookCondition (W : World TC LC MC TQ LQ MQ) (topoC : TC) (c : Statelet LC MC) : SendCondition TQ LQ MQ :=
  fun _ q this to msg => Hook.allFire W.hooks topoC c.locals q.locals this to msg

/-- One step of a world: a core step, or a client step whose sends satisfy the hooks. -/
inductive World.Step (W : World TC LC MC TQ LQ MQ) (topoC : TC) (topoQ : TQ) :
    WorldState LC MC LQ MQ → WorldState LC MC LQ MQ → Prop
  | core {c c' : Statelet LC MC} (q : Statelet LQ MQ) :
      NetStep W.core noHooks topoC c c' → World.Step W topoC topoQ (c, q) (c', q)
  | client (c : Statelet LC MC) {q q' : Statelet LQ MQ} :
      NetStep W.client (W.hookCondition topoC c) topoQ q q' → World.Step W topoC topoQ (c, q) (c, q')

/-- The initial world state: both protocols' initial statelets. -/
def World.initial (W : World TC LC MC TQ LQ MQ) (topoC : TC) (topoQ : TQ) : WorldState LC MC LQ MQ :=
  (W.core.initial topoC, W.client.initial topoQ)

/-- The world states reachable from the initial one. -/
inductive World.Reachable (W : World TC LC MC TQ LQ MQ) (topoC : TC) (topoQ : TQ) : WorldState LC MC LQ MQ → Prop
  | init : World.Reachable W topoC topoQ (W.initial topoC topoQ)
  | step {s s' : WorldState LC MC LQ MQ} :
      World.Reachable W topoC topoQ s → World.Step W topoC topoQ s s' → World.Reachable W topoC topoQ s'

/-- The core's part of a reachable world state is reachable by the core alone. -/
theorem World.Reachable.core {W : World TC LC MC TQ LQ MQ} {topoC : TC} {topoQ : TQ} {s : WorldState LC MC LQ MQ}
    (h : World.Reachable W topoC topoQ s) : Protoweave.Reachable W.core noHooks topoC s.1 := by
  induction h with
  | init => exact Protoweave.Reachable.init
  | step _ h_step ih =>
    cases h_step with
    | core q h_net => exact Protoweave.Reachable.step ih h_net
    | client c h_net => exact ih

/-- A world invariant holds in the initial state of every topology satisfying `wf`. -/
def WorldHoldsInitially (W : World TC LC MC TQ LQ MQ) (wf : TC × TQ → Prop) (I : TC × TQ → WorldState LC MC LQ MQ → Bool) : Prop :=
  ∀ topo, wf topo → I topo (W.initial topo.1 topo.2) = true

/-- A world invariant's obligation for a core send: from a state where `assumed` holds. -/
def WorldPreservedByCoreSend (wf : TC × TQ → Prop) (assumed : TC × TQ → WorldState LC MC LQ MQ → Prop)
    (I : TC × TQ → WorldState LC MC LQ MQ → Bool) (t : SendTransition TC LC MC) : Prop :=
  ∀ topo (s : WorldState LC MC LQ MQ) (this to : Node) (m : t.Payload),
    wf topo → assumed topo s → t.enabled topo.1 s.1.locals this to m = true →
    I topo ({ locals := t.next topo.1 s.1.locals this to m, soup := s.1.soup.post this to (t.inj m) }, s.2) = true

/-- A world invariant's obligation for a core receive. -/
def WorldPreservedByCoreReceive (wf : TC × TQ → Prop) (assumed : TC × TQ → WorldState LC MC LQ MQ → Prop)
    (I : TC × TQ → WorldState LC MC LQ MQ → Bool) (t : ReceiveTransition TC LC MC) : Prop :=
  ∀ topo (s : WorldState LC MC LQ MQ) (e : Envelope MC) (m : t.Payload),
    wf topo → assumed topo s → e ∈ s.1.soup → e.active = true → t.payloadOf e.msg = some m →
    t.accepts topo.1 s.1.locals e.dst e.src m = true →
    I topo ({ locals := t.next topo.1 s.1.locals e.dst e.src m, soup := s.1.soup.consume e.id }, s.2) = true

/-- A world invariant's obligation for a client send, which the world's hooks allow. -/
def WorldPreservedByClientSend (W : World TC LC MC TQ LQ MQ) (wf : TC × TQ → Prop) (assumed : TC × TQ → WorldState LC MC LQ MQ → Prop)
    (I : TC × TQ → WorldState LC MC LQ MQ → Bool) (t : SendTransition TQ LQ MQ) : Prop :=
  ∀ topo (s : WorldState LC MC LQ MQ) (this to : Node) (m : t.Payload),
    wf topo → assumed topo s → t.enabled topo.2 s.2.locals this to m = true →
    Hook.allFire W.hooks topo.1 s.1.locals s.2.locals this to (t.inj m) →
    I topo (s.1, { locals := t.next topo.2 s.2.locals this to m, soup := s.2.soup.post this to (t.inj m) }) = true

/-- A world invariant's obligation for a client receive. -/
def WorldPreservedByClientReceive (wf : TC × TQ → Prop) (assumed : TC × TQ → WorldState LC MC LQ MQ → Prop)
    (I : TC × TQ → WorldState LC MC LQ MQ → Bool) (t : ReceiveTransition TQ LQ MQ) : Prop :=
  ∀ topo (s : WorldState LC MC LQ MQ) (e : Envelope MQ) (m : t.Payload),
    wf topo → assumed topo s → e ∈ s.2.soup → e.active = true → t.payloadOf e.msg = some m →
    t.accepts topo.2 s.2.locals e.dst e.src m = true →
    I topo (s.1, { locals := t.next topo.2 s.2.locals e.dst e.src m, soup := s.2.soup.consume e.id }) = true

/-- `J` is an inductive invariant of the world, given that `JC` holds of the core's part. -/
structure World.Inductive (W : World TC LC MC TQ LQ MQ) (wf : TC × TQ → Prop) (JC : TC → Statelet LC MC → Prop)
    (J : TC × TQ → WorldState LC MC LQ MQ → Prop) : Prop where
  init : ∀ topo, wf topo → J topo (W.initial topo.1 topo.2)
  core_send : ∀ t ∈ W.core.sends, ∀ topo (s : WorldState LC MC LQ MQ) (this to : Node) (m : t.Payload),
    wf topo → JC topo.1 s.1 → J topo s → t.enabled topo.1 s.1.locals this to m = true →
    J topo ({ locals := t.next topo.1 s.1.locals this to m, soup := s.1.soup.post this to (t.inj m) }, s.2)
  core_receive : ∀ t ∈ W.core.receives, ∀ topo (s : WorldState LC MC LQ MQ) (e : Envelope MC) (m : t.Payload),
    wf topo → JC topo.1 s.1 → J topo s → e ∈ s.1.soup → e.active = true → t.payloadOf e.msg = some m →
    t.accepts topo.1 s.1.locals e.dst e.src m = true →
    J topo ({ locals := t.next topo.1 s.1.locals e.dst e.src m, soup := s.1.soup.consume e.id }, s.2)
  client_send : ∀ t ∈ W.client.sends, ∀ topo (s : WorldState LC MC LQ MQ) (this to : Node) (m : t.Payload),
    wf topo → JC topo.1 s.1 → J topo s → t.enabled topo.2 s.2.locals this to m = true →
    Hook.allFire W.hooks topo.1 s.1.locals s.2.locals this to (t.inj m) →
    J topo (s.1, { locals := t.next topo.2 s.2.locals this to m, soup := s.2.soup.post this to (t.inj m) })
  client_receive : ∀ t ∈ W.client.receives, ∀ topo (s : WorldState LC MC LQ MQ) (e : Envelope MQ) (m : t.Payload),
    wf topo → JC topo.1 s.1 → J topo s → e ∈ s.2.soup → e.active = true → t.payloadOf e.msg = some m →
    t.accepts topo.2 s.2.locals e.dst e.src m = true →
    J topo (s.1, { locals := t.next topo.2 s.2.locals e.dst e.src m, soup := s.2.soup.consume e.id })

/-- A world's inductive invariant holds in every reachable world state of a well-formed topology,
when the core's invariants `JC` hold in every state the core reaches on its own there. -/
theorem World.Inductive.always {W : World TC LC MC TQ LQ MQ} {wf : TC × TQ → Prop} {JC : TC → Statelet LC MC → Prop}
    {J : TC × TQ → WorldState LC MC LQ MQ → Prop} (h : World.Inductive W wf JC J)
    (topo : TC × TQ) (h_wf : wf topo) (h_core : ∀ c : Statelet LC MC, Protoweave.Reachable W.core noHooks topo.1 c → JC topo.1 c)
    {s : WorldState LC MC LQ MQ} (h_reach : World.Reachable W topo.1 topo.2 s) : J topo s := by
  induction h_reach with
  | init => exact h.init topo h_wf
  | step h_prev h_step ih =>
    have h_c := h_core _ h_prev.core
    cases h_step with
    | core q h_net =>
      cases h_net with
      | send t ht n to m h_enabled _ => exact h.core_send t ht topo _ n to m h_wf h_c ih h_enabled
      | receive t ht e h_in h_active m h_tag h_accepts =>
        exact h.core_receive t ht topo _ e m h_wf h_c ih h_in h_active h_tag h_accepts
    | client c h_net =>
      cases h_net with
      | send t ht n to m h_enabled h_hooks => exact h.client_send t ht topo _ n to m h_wf h_c ih h_enabled h_hooks
      | receive t ht e h_in h_active m h_tag h_accepts =>
        exact h.client_receive t ht topo _ e m h_wf h_c ih h_in h_active h_tag h_accepts

end Protoweave

end
