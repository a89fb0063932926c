import Generated.Calculator.Automatic
import Generated.Calculator.Open

/-!
# Calculator: response correctness

Hand-written, over the generated definitions (`Generated/Calculator/Spec.lean`). The tactic ladder
proves thirteen of the fifteen obligations (`Generated/Calculator/Automatic.lean`); the two it
leaves open are the ones whose step removes an answered request with `removeFirst`, which needs one
fact the ladder does not find: what `removeFirst` returns is part of what it was given. With them,
coherence and both invariants together are inductive, so every reachable state satisfies
`responseCorrect` (Disel's `CalcInv`, the paper's Inv2): every response ever sent carries `f` of
its arguments.
-/

noncomputable section

namespace Calculator

open Protoweave

/-- `removeFirst` only removes: every request it keeps was there before. -/
theorem mem_of_mem_removeFirst {pending : List Pending} {peer : Node} {args : List Int} {x : Pending}
    (h : x ∈ removeFirst pending peer args) : x ∈ pending := by
  simp only [removeFirst, Js.slice, Js.sliceFrom] at h
  split at h
  · exact h
  · rcases List.mem_append.mp h with h | h
    · exact List.mem_of_mem_drop (List.mem_of_mem_take h)
    · exact List.mem_of_mem_drop h

/-- A server's answer keeps coherence: the requests it still holds were held before. -/
theorem coherence_preserved_by_serverSend : PreservedBySend wf assumed coherence serverSend := by
  intro topo s this to m _ h_assumed _
  have h_coh := h_assumed.1
  simp only [coherence, List.all_eq_true] at h_coh ⊢
  intro n h_n p h_p
  simp only [serverSend, update] at h_p
  split at h_p
  next h_eq =>
    subst h_eq
    simp only [serverSend_step] at h_p
    exact h_coh _ h_n p (mem_of_mem_removeFirst h_p)
  next => exact h_coh n h_n p h_p

/-- A client's receipt of an answer keeps its outstanding requests well formed. -/
theorem pendingWellFormed_preserved_by_clientRecv : PreservedByReceive wf assumed pendingWellFormed clientRecv := by
  intro topo s e m _ h_assumed _ _ _ _
  have h_pending := h_assumed.2.2
  simp only [pendingWellFormed, List.all_eq_true] at h_pending ⊢
  intro c h_c r h_r
  simp only [clientRecv, update] at h_r
  split at h_r
  next h_eq =>
    subst h_eq
    simp only [clientRecv_step] at h_r
    exact h_pending _ h_c r (mem_of_mem_removeFirst h_r)
  next => exact h_pending c h_c r h_r

/-- Coherence and both invariants together are an inductive invariant of the Calculator. -/
theorem assumed_inductive : Inductive protocol wf assumed := by
  refine ⟨?_, ?_, ?_⟩
  · intro topo h_wf
    exact And.intro (coherence_init topo h_wf) (And.intro (responseCorrect_init topo h_wf) (pendingWellFormed_init topo h_wf))
  · intro t h_t topo s this to m h_wf h_assumed h_enabled
    simp only [protocol, List.mem_cons, List.not_mem_nil, or_false] at h_t
    rcases h_t with rfl | rfl
    · exact And.intro (coherence_preserved_by_clientSend topo s this to m h_wf h_assumed h_enabled)
        (And.intro (responseCorrect_preserved_by_clientSend topo s this to m h_wf h_assumed h_enabled)
          (pendingWellFormed_preserved_by_clientSend topo s this to m h_wf h_assumed h_enabled))
    · exact And.intro (coherence_preserved_by_serverSend topo s this to m h_wf h_assumed h_enabled)
        (And.intro (responseCorrect_preserved_by_serverSend topo s this to m h_wf h_assumed h_enabled)
          (pendingWellFormed_preserved_by_serverSend topo s this to m h_wf h_assumed h_enabled))
  · intro t h_t topo s e m h_wf h_assumed h_in h_active h_tag h_accepts
    simp only [protocol, List.mem_cons, List.not_mem_nil, or_false] at h_t
    rcases h_t with rfl | rfl
    · exact And.intro (coherence_preserved_by_serverRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts)
        (And.intro (responseCorrect_preserved_by_serverRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts)
          (pendingWellFormed_preserved_by_serverRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts))
    · exact And.intro (coherence_preserved_by_clientRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts)
        (And.intro (responseCorrect_preserved_by_clientRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts)
          (pendingWellFormed_preserved_by_clientRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts))

/-- **Response correctness.** In every reachable state of the Calculator, on any well-formed
topology and under any send-hooks of a world it runs in, every response in the soup carries `f`
of its arguments. -/
theorem responseCorrect_always (hooks : SendCondition Topology Locals Msg) (topo : Topology) (h_wf : wf topo)
    {s : Statelet Locals Msg} (h_reach : Reachable protocol hooks topo s) : responseCorrect topo s = true := by
  have h := assumed_inductive.always hooks topo h_wf h_reach
  exact h.2.1

end Calculator

end
