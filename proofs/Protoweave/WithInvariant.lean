import Protoweave.Invariant

/-!
# withInvariant

Disel's `ProtocolWithIndInv`: the same protocol whose coherence is strengthened with an inductive
invariant `I`. Its steps are the protocol's steps (the strengthening constrains no transition), so
every reachable state of the strengthened protocol is reachable in the original one, and there the
invariant holds: programs in the strengthened protocol may rely on it.
-/

noncomputable section

namespace Protoweave

variable {Topo Locals Msg : Type}

/-- `P` with coherence `P.coh ∧ I`. -/
def withInvariant (P : Protocol Topo Locals Msg) (I : Topo → Statelet Locals Msg → Bool) : Protocol Topo Locals Msg :=
  { P with coh := fun topo s => P.coh topo s && I topo s }

/-- A step of the strengthened protocol is a step of the protocol. -/
theorem withInvariant_step {P : Protocol Topo Locals Msg} {I : Topo → Statelet Locals Msg → Bool}
    {hooks : SendCondition Topo Locals Msg} {topo : Topo} {s s' : Statelet Locals Msg}
    (h : NetStep (withInvariant P I) hooks topo s s') : NetStep P hooks topo s s' := by
  cases h with
  | send t ht this to m h_enabled h_hooks => exact NetStep.send (P := P) _ t ht this to m h_enabled h_hooks
  | receive t ht e h_in h_active m h_tag h_accepts =>
    exact NetStep.receive (P := P) _ t ht e h_in h_active m h_tag h_accepts

/-- A reachable state of the strengthened protocol is reachable in the protocol. -/
theorem reachable_of_withInvariant {P : Protocol Topo Locals Msg} {I : Topo → Statelet Locals Msg → Bool}
    {hooks : SendCondition Topo Locals Msg} {topo : Topo} {s : Statelet Locals Msg}
    (h : Reachable (withInvariant P I) hooks topo s) : Reachable P hooks topo s := by
  induction h with
  | init => exact Reachable.init
  | step _ h_step ih => exact Reachable.step ih (withInvariant_step h_step)

/-- When coherence and `I` together are inductive, the strengthened coherence holds in every
reachable state of the strengthened protocol. -/
theorem withInvariant_coh {P : Protocol Topo Locals Msg} {I : Topo → Statelet Locals Msg → Bool} {wf : Topo → Prop}
    (h : Inductive P wf (fun topo s => P.coh topo s = true ∧ I topo s = true))
    (hooks : SendCondition Topo Locals Msg) (topo : Topo) (h_wf : wf topo) {s : Statelet Locals Msg}
    (h_reach : Reachable (withInvariant P I) hooks topo s) : (withInvariant P I).coh topo s = true := by
  have ⟨h_coh, h_inv⟩ := h.always hooks topo h_wf (reachable_of_withInvariant h_reach)
  simp [withInvariant, h_coh, h_inv]

end Protoweave

end
