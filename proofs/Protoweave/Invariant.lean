import Protoweave.Protocol

/-!
# Inductive invariants, one obligation per transition

Disel's `InductiveInv`: an invariant holds initially, and every send and every receive transition
preserves it, each a separate obligation. The exporter names them `<inv>_init`,
`<inv>_preserved_by_<transition>`; `assumed` is what each may rely on (coherence and every exported
invariant: the strengthened invariant, whose conjuncts are proved together).
-/

noncomputable section

namespace Protoweave

variable {Topo Locals Msg : Type}

/-- An invariant holds in the initial state of every topology satisfying `wf`. -/
def HoldsInitially (P : Protocol Topo Locals Msg) (wf : Topo → Prop) (I : Topo → Statelet Locals Msg → Bool) : Prop :=
  ∀ topo, wf topo → I topo (P.initial topo) = true

/-- Send transition `t` preserves `I` from every state where `assumed` holds. -/
def PreservedBySend (wf : Topo → Prop) (assumed : Topo → Statelet Locals Msg → Prop)
    (I : Topo → Statelet Locals Msg → Bool) (t : SendTransition Topo Locals Msg) : Prop :=
  ∀ topo (s : Statelet Locals Msg) (this to : Node) (m : t.Payload),
    wf topo → assumed topo s → t.enabled topo s.locals this to m = true →
    I topo { locals := t.next topo s.locals this to m, soup := s.soup.post this to (t.inj m) } = true

/-- Receive transition `t` preserves `I` from every state where `assumed` holds. -/
def PreservedByReceive (wf : Topo → Prop) (assumed : Topo → Statelet Locals Msg → Prop)
    (I : Topo → Statelet Locals Msg → Bool) (t : ReceiveTransition Topo Locals Msg) : Prop :=
  ∀ topo (s : Statelet Locals Msg) (e : Envelope Msg) (m : t.Payload),
    wf topo → assumed topo s → e ∈ s.soup → e.active = true → t.payloadOf e.msg = some m →
    t.accepts topo s.locals e.dst e.src m = true →
    I topo { locals := t.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id } = true

/-- `J` is an inductive invariant of `P`: it holds initially and every transition preserves it. -/
structure Inductive (P : Protocol Topo Locals Msg) (wf : Topo → Prop) (J : Topo → Statelet Locals Msg → Prop) : Prop where
  init : ∀ topo, wf topo → J topo (P.initial topo)
  send : ∀ t ∈ P.sends, ∀ topo (s : Statelet Locals Msg) (this to : Node) (m : t.Payload),
    wf topo → J topo s → t.enabled topo s.locals this to m = true →
    J topo { locals := t.next topo s.locals this to m, soup := s.soup.post this to (t.inj m) }
  receive : ∀ t ∈ P.receives, ∀ topo (s : Statelet Locals Msg) (e : Envelope Msg) (m : t.Payload),
    wf topo → J topo s → e ∈ s.soup → e.active = true → t.payloadOf e.msg = some m →
    t.accepts topo s.locals e.dst e.src m = true →
    J topo { locals := t.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id }

/-- An inductive invariant holds in every reachable state, whatever the send-hooks (hooks only
remove steps). -/
theorem Inductive.always {P : Protocol Topo Locals Msg} {wf : Topo → Prop} {J : Topo → Statelet Locals Msg → Prop}
    (h : Inductive P wf J) (hooks : SendCondition Topo Locals Msg) (topo : Topo) (h_wf : wf topo)
    {s : Statelet Locals Msg} (h_reach : Reachable P hooks topo s) : J topo s := by
  induction h_reach with
  | init => exact h.init topo h_wf
  | step _ h_step ih =>
    cases h_step with
    | send t ht this to m h_enabled _ => exact h.send t ht topo _ this to m h_wf ih h_enabled
    | receive t ht e h_in h_active m h_tag h_accepts =>
      exact h.receive t ht topo _ e m h_wf ih h_in h_active h_tag h_accepts

end Protoweave

end
