import Generated.QueryTpc.Automatic
import Generated.QueryTpc.Open
import Proofs.TwoPhaseCommit

/-!
# Query over Two-Phase Commit: every answer agrees with the coordinator's log

Hand-written, over the generated world (`Generated/QueryTpc/Spec.lean`), after Disel's
`QueryPlusTPC.v`. The world's invariant `answersAgree` (every response in the query soup is a log
of as many decisions as its era, agreeing with the coordinator's log) is not inductive on its own:
a participant that has logged the era's decision answers with a log one entry longer than the
coordinator's. The world's properties therefore include `answersFromLog`: every response's log is
a prefix of the coordinator's `fullLog`, its log followed by the decision it has taken and not
logged yet (`pendingDecision`).

- `fullLog` only grows: every coordinator step extends it (`fullLog_<transition>`), and the
  participants' steps leave the coordinator alone, so Two-Phase Commit's steps keep every answer a
  prefix (`answersFromLog_core_step`).
- An answer is sent only under the hook `answerWithOwnLog`: the answerer is an idle participant
  answering with its own era and log, and Two-Phase Commit's strengthened invariant `tpcInv` makes
  an idle participant's log a prefix of `fullLog` as long as its era (`idle_fits`).
- `answersAgree` follows from `answersFromLog` in every state (`answersAgree_of_answersFromLog`).
- `World.Inductive.always` turns the 38 obligations into `answersAgree_always` and
  `answersFromLog_always`, with Two-Phase Commit's invariants on its own reachable states from
  `TwoPhaseCommit.assumed_inductive` (hooks only remove the query protocol's steps).
-/

noncomputable section

namespace QueryTpc

open Protoweave

set_option linter.unusedVariables false
set_option linter.unusedSimpArgs false

theorem logEntry_eq_iff (a b : TwoPhaseCommit.LogEntry) : a = b ↔ a.commit = b.commit ∧ a.data = b.data := by
  cases a; cases b; simp

theorem prefix_trans {a b c : List TwoPhaseCommit.LogEntry} (h1 : a <+: b) (h2 : b <+: c) : a <+: c := by
  obtain ⟨t1, rfl⟩ := h1
  obtain ⟨t2, rfl⟩ := h2
  exact ⟨t1 ++ t2, by simp⟩

theorem isPrefixOf_iff (a b : List TwoPhaseCommit.LogEntry) : isPrefixOf a b = true ↔ a <+: b := by
  simp only [isPrefixOf, Bool.and_eq_true, decide_eq_true_eq, List.all_eq_true]
  constructor
  · rintro ⟨hlen, hall⟩
    rw [List.prefix_iff_eq_take]
    apply List.ext_getElem (by simp only [List.length_take]; omega)
    intro i h1 h2
    have hm : (a[i], i) ∈ a.zipIdx := List.mem_zipIdx_iff_getElem?.mpr (List.getElem?_eq_getElem h1)
    have h := hall _ hm
    have hi : i < b.length := by omega
    simp only [Bool.and_eq_true, beq_iff_eq, List.getD_eq_getElem?_getD, List.getElem?_eq_getElem hi, Option.getD_some] at h
    rw [List.getElem_take]
    exact (logEntry_eq_iff _ _).mpr h
  · rintro ⟨t, rfl⟩
    refine ⟨by simp, ?_⟩
    rintro ⟨e, i⟩ hm
    have h : a[i]? = some e := List.mem_zipIdx_iff_getElem?.mp hm
    obtain ⟨hi, he⟩ := List.getElem?_eq_some_iff.mp h
    simp [List.getD_eq_getElem?_getD, List.getElem?_append_left hi, h]

theorem sameLog_eq {a b : List TwoPhaseCommit.LogEntry} (h : sameLog a b = true) : a = b := by
  simp only [sameLog, Bool.and_eq_true, beq_iff_eq, List.all_eq_true] at h
  obtain ⟨hlen, hall⟩ := h
  apply List.ext_getElem hlen
  intro i h1 h2
  have hm : (a[i], i) ∈ a.zipIdx := List.mem_zipIdx_iff_getElem?.mpr (List.getElem?_eq_getElem h1)
  have h := hall _ hm
  simp only [Bool.and_eq_true, beq_iff_eq, List.getD_eq_getElem?_getD, List.getElem?_eq_getElem h2, Option.getD_some] at h
  exact (logEntry_eq_iff _ _).mpr h

theorem compatible_of_prefix {a b p : List TwoPhaseCommit.LogEntry} (h : a <+: b ++ p) : compatible a b = true := by
  obtain ⟨t, ht⟩ := h
  simp only [compatible, List.all_eq_true]
  rintro ⟨e, i⟩ hm
  have h : a[i]? = some e := List.mem_zipIdx_iff_getElem?.mp hm
  obtain ⟨hi, he⟩ := List.getElem?_eq_some_iff.mp h
  by_cases hb : i < b.length
  · have hab : (a ++ t)[i]? = (b ++ p)[i]? := by rw [ht]
    rw [List.getElem?_append_left hi, List.getElem?_append_left hb, h] at hab
    simp [List.getD_eq_getElem?_getD, ← hab]
  · have hge : b.length ≤ i := by omega
    simp [hge]

/-- The coordinator's log, then the decision it has taken and not logged yet. -/
def fullLog (C : TwoPhaseCommit.CoordinatorState) : List TwoPhaseCommit.LogEntry := C.log ++ pendingDecision C

/-- A message of the query soup fits the coordinators: not a response, or a response whose log
is as long as its era and a prefix of every coordinator's `fullLog`. -/
def Fits (coordinators : List Node) (c : Statelet TwoPhaseCommit.Locals TwoPhaseCommit.Msg) (m : Msg) : Prop :=
  m.isResponse = false ∨ ((m.log.length : Int) = m.era ∧ ∀ x ∈ coordinators, m.log <+: fullLog (c.locals.coordinator x))

theorem answersFromLog_iff (topo : TwoPhaseCommit.Topology × Topology) (s : WorldState TwoPhaseCommit.Locals TwoPhaseCommit.Msg Locals Msg) :
    answersFromLog topo s = true ↔ ∀ e ∈ s.2.soup, Fits topo.1.coordinator s.1 e.msg := by
  first
    | (simp only [answersFromLog, Fits, fullLog, List.all_eq_true, Bool.or_eq_true, Bool.not_eq_true', Bool.and_eq_true,
        beq_iff_eq, isPrefixOf_iff]; done)
    | simp [answersFromLog, Fits, fullLog, isPrefixOf_iff]

theorem answersAgree_of_answersFromLog {topo : TwoPhaseCommit.Topology × Topology} {s : WorldState TwoPhaseCommit.Locals TwoPhaseCommit.Msg Locals Msg}
    (h : answersFromLog topo s = true) : answersAgree topo s = true := by
  rw [answersFromLog_iff] at h
  simp only [answersAgree, List.all_eq_true, Bool.or_eq_true, Bool.not_eq_true', Bool.and_eq_true, beq_iff_eq]
  intro e he
  rcases h e he with h1 | ⟨hl, hp⟩
  · exact Or.inl h1
  · exact Or.inr ⟨hl, fun x hx => compatible_of_prefix (hp x hx)⟩

/-! ## Two-Phase Commit's steps: `fullLog` only grows -/

theorem answersFromLog_core_step {topo : TwoPhaseCommit.Topology × Topology} {s : WorldState TwoPhaseCommit.Locals TwoPhaseCommit.Msg Locals Msg}
    {c' : Statelet TwoPhaseCommit.Locals TwoPhaseCommit.Msg} (h : answersFromLog topo s = true)
    (hmono : ∀ x ∈ topo.1.coordinator, fullLog (s.1.locals.coordinator x) <+: fullLog (c'.locals.coordinator x)) :
    answersFromLog topo (c', s.2) = true := by
  rw [answersFromLog_iff] at h ⊢
  intro e he
  rcases h e he with h1 | ⟨hl, hp⟩
  · exact Or.inl h1
  · exact Or.inr ⟨hl, fun x hx => prefix_trans (hp x hx) (hmono x hx)⟩

theorem mono_update {ls : TwoPhaseCommit.Locals} {n : Node} {C' : TwoPhaseCommit.CoordinatorState}
    (h : fullLog (ls.coordinator n) <+: fullLog C') (x : Node) :
    fullLog (ls.coordinator x) <+: fullLog (update ls.coordinator n C' x) := by
  by_cases hx : x = n
  · subst hx
    rw [update_self]
    exact h
  · rw [update_other _ _ _ _ hx]
    exact List.prefix_refl _

/-- How every coordinator step is unfolded: its match on the phase, then each `if`. -/
macro "fullLog_step" step:ident : tactic =>
  `(tactic| (
    intro C _ _ _
    rcases C with ⟨era, phase, log⟩
    cases phase <;>
      simp only [$step:ident, TwoPhaseCommit.afterPrepare, TwoPhaseCommit.afterCommit, TwoPhaseCommit.afterAbort,
        TwoPhaseCommit.afterAck, TwoPhaseCommit.CoordinatorPhase.data, TwoPhaseCommit.CoordinatorPhase.sent,
        TwoPhaseCommit.CoordinatorPhase.votes, TwoPhaseCommit.CoordinatorPhase.acked, TwoPhaseCommit.CoordinatorPhase.withVotes,
        TwoPhaseCommit.CoordinatorPhase.isInit, TwoPhaseCommit.CoordinatorPhase.isSentPrepare, TwoPhaseCommit.CoordinatorPhase.isWaitVotes,
        TwoPhaseCommit.CoordinatorPhase.isSentCommit, TwoPhaseCommit.CoordinatorPhase.isSentAbort,
        TwoPhaseCommit.CoordinatorPhase.isWaitAckCommit, TwoPhaseCommit.CoordinatorPhase.isWaitAckAbort] <;>
      (repeat' split) <;>
      first
        | (simp [fullLog, pendingDecision, TwoPhaseCommit.CoordinatorPhase.data, List.prefix_refl]; done)
        | simp_all [fullLog, pendingDecision, TwoPhaseCommit.CoordinatorPhase.data, List.prefix_refl]))

theorem fullLog_sendPrepare : ∀ (C : TwoPhaseCommit.CoordinatorState) (to : Node) (m : TwoPhaseCommit.Prepare) (ctx : TwoPhaseCommit.Ctx),
    fullLog C <+: fullLog (TwoPhaseCommit.sendPrepare_step C to m ctx) := by
  fullLog_step TwoPhaseCommit.sendPrepare_step

theorem fullLog_sendCommit : ∀ (C : TwoPhaseCommit.CoordinatorState) (to : Node) (m : TwoPhaseCommit.EraMessage) (ctx : TwoPhaseCommit.Ctx),
    fullLog C <+: fullLog (TwoPhaseCommit.sendCommit_step C to m ctx) := by
  fullLog_step TwoPhaseCommit.sendCommit_step

theorem fullLog_sendAbort : ∀ (C : TwoPhaseCommit.CoordinatorState) (to : Node) (m : TwoPhaseCommit.EraMessage) (ctx : TwoPhaseCommit.Ctx),
    fullLog C <+: fullLog (TwoPhaseCommit.sendAbort_step C to m ctx) := by
  fullLog_step TwoPhaseCommit.sendAbort_step

theorem fullLog_receiveYes : ∀ (C : TwoPhaseCommit.CoordinatorState) (src : Node) (m : TwoPhaseCommit.EraMessage) (ctx : TwoPhaseCommit.Ctx),
    fullLog C <+: fullLog (TwoPhaseCommit.receiveYes_step C src m ctx) := by
  fullLog_step TwoPhaseCommit.receiveYes_step

theorem fullLog_receiveNo : ∀ (C : TwoPhaseCommit.CoordinatorState) (src : Node) (m : TwoPhaseCommit.EraMessage) (ctx : TwoPhaseCommit.Ctx),
    fullLog C <+: fullLog (TwoPhaseCommit.receiveNo_step C src m ctx) := by
  fullLog_step TwoPhaseCommit.receiveNo_step

theorem fullLog_receiveAckCommit : ∀ (C : TwoPhaseCommit.CoordinatorState) (src : Node) (m : TwoPhaseCommit.EraMessage) (ctx : TwoPhaseCommit.Ctx),
    fullLog C <+: fullLog (TwoPhaseCommit.receiveAckCommit_step C src m ctx) := by
  fullLog_step TwoPhaseCommit.receiveAckCommit_step

theorem fullLog_receiveAckAbort : ∀ (C : TwoPhaseCommit.CoordinatorState) (src : Node) (m : TwoPhaseCommit.EraMessage) (ctx : TwoPhaseCommit.Ctx),
    fullLog C <+: fullLog (TwoPhaseCommit.receiveAckAbort_step C src m ctx) := by
  fullLog_step TwoPhaseCommit.receiveAckAbort_step

/-- A participant's step leaves every coordinator as it was. -/
macro "participant_step" t:ident : tactic =>
  `(tactic| (
    intro topo s
    intros
    obtain ⟨_, _, _, hFrom⟩ := ‹worldAssumed topo s›
    refine answersFromLog_core_step hFrom (fun x _ => ?_)
    simp only [$t:ident]
    exact List.prefix_refl _))

/-- A coordinator's send extends its `fullLog`. -/
macro "coordinator_send" t:ident lemma:ident : tactic =>
  `(tactic| (
    intro topo s n to m _ has _
    obtain ⟨_, _, _, hFrom⟩ := has
    refine answersFromLog_core_step hFrom (fun x _ => ?_)
    simp only [$t:ident]
    exact mono_update ($lemma _ _ _ _) x))

/-- A coordinator's receive extends its `fullLog`. -/
macro "coordinator_receive" t:ident lemma:ident : tactic =>
  `(tactic| (
    intro topo s e m _ has _ _ _ _
    obtain ⟨_, _, _, hFrom⟩ := has
    refine answersFromLog_core_step hFrom (fun x _ => ?_)
    simp only [$t:ident]
    exact mono_update ($lemma _ _ _ _) x))

theorem answersFromLog_preserved_by_tpc_sendPrepare : WorldPreservedByCoreSend worldWf worldAssumed answersFromLog TwoPhaseCommit.sendPrepare := by
  coordinator_send TwoPhaseCommit.sendPrepare fullLog_sendPrepare

theorem answersFromLog_preserved_by_tpc_sendYes : WorldPreservedByCoreSend worldWf worldAssumed answersFromLog TwoPhaseCommit.sendYes := by
  participant_step TwoPhaseCommit.sendYes

theorem answersFromLog_preserved_by_tpc_sendNo : WorldPreservedByCoreSend worldWf worldAssumed answersFromLog TwoPhaseCommit.sendNo := by
  participant_step TwoPhaseCommit.sendNo

theorem answersFromLog_preserved_by_tpc_sendCommit : WorldPreservedByCoreSend worldWf worldAssumed answersFromLog TwoPhaseCommit.sendCommit := by
  coordinator_send TwoPhaseCommit.sendCommit fullLog_sendCommit

theorem answersFromLog_preserved_by_tpc_sendAbort : WorldPreservedByCoreSend worldWf worldAssumed answersFromLog TwoPhaseCommit.sendAbort := by
  coordinator_send TwoPhaseCommit.sendAbort fullLog_sendAbort

theorem answersFromLog_preserved_by_tpc_sendAckCommit : WorldPreservedByCoreSend worldWf worldAssumed answersFromLog TwoPhaseCommit.sendAckCommit := by
  participant_step TwoPhaseCommit.sendAckCommit

theorem answersFromLog_preserved_by_tpc_sendAckAbort : WorldPreservedByCoreSend worldWf worldAssumed answersFromLog TwoPhaseCommit.sendAckAbort := by
  participant_step TwoPhaseCommit.sendAckAbort

theorem answersFromLog_preserved_by_tpc_receivePrepare : WorldPreservedByCoreReceive worldWf worldAssumed answersFromLog TwoPhaseCommit.receivePrepare := by
  participant_step TwoPhaseCommit.receivePrepare

theorem answersFromLog_preserved_by_tpc_receiveCommit : WorldPreservedByCoreReceive worldWf worldAssumed answersFromLog TwoPhaseCommit.receiveCommit := by
  participant_step TwoPhaseCommit.receiveCommit

theorem answersFromLog_preserved_by_tpc_receiveAbort : WorldPreservedByCoreReceive worldWf worldAssumed answersFromLog TwoPhaseCommit.receiveAbort := by
  participant_step TwoPhaseCommit.receiveAbort

theorem answersFromLog_preserved_by_tpc_receiveYes : WorldPreservedByCoreReceive worldWf worldAssumed answersFromLog TwoPhaseCommit.receiveYes := by
  coordinator_receive TwoPhaseCommit.receiveYes fullLog_receiveYes

theorem answersFromLog_preserved_by_tpc_receiveNo : WorldPreservedByCoreReceive worldWf worldAssumed answersFromLog TwoPhaseCommit.receiveNo := by
  coordinator_receive TwoPhaseCommit.receiveNo fullLog_receiveNo

theorem answersFromLog_preserved_by_tpc_receiveAckCommit : WorldPreservedByCoreReceive worldWf worldAssumed answersFromLog TwoPhaseCommit.receiveAckCommit := by
  coordinator_receive TwoPhaseCommit.receiveAckCommit fullLog_receiveAckCommit

theorem answersFromLog_preserved_by_tpc_receiveAckAbort : WorldPreservedByCoreReceive worldWf worldAssumed answersFromLog TwoPhaseCommit.receiveAckAbort := by
  coordinator_receive TwoPhaseCommit.receiveAckAbort fullLog_receiveAckAbort

/-! ## The query protocol's steps -/

theorem answersFromLog_init : WorldHoldsInitially world worldWf answersFromLog := by
  intro topo _
  first
    | rfl
    | simp [answersFromLog, World.initial, Protocol.initial, world, protocol]

/-- A send of a request, or a receive, keeps every response and adds none. -/
theorem answersFromLog_of_no_new_response {topo : TwoPhaseCommit.Topology × Topology} {s : WorldState TwoPhaseCommit.Locals TwoPhaseCommit.Msg Locals Msg}
    {q' : Statelet Locals Msg} (h : answersFromLog topo s = true)
    (hsoup : ∀ e ∈ q'.soup, (∃ e' ∈ s.2.soup, e'.msg = e.msg) ∨ e.msg.isResponse = false) :
    answersFromLog topo (s.1, q') = true := by
  rw [answersFromLog_iff] at h ⊢
  intro e he
  rcases hsoup e he with ⟨e', he', hmsg⟩ | hreq
  · have := h e' he'
    rw [hmsg] at this
    exact this
  · exact Or.inl hreq

theorem answersFromLog_preserved_by_query_ask : WorldPreservedByClientSend world worldWf worldAssumed answersFromLog ask := by
  intro topo s n to m _ has _ _
  obtain ⟨_, _, _, hFrom⟩ := has
  refine answersFromLog_of_no_new_response hFrom (fun e he => ?_)
  simp only [Soup.post, List.mem_append, List.mem_singleton] at he
  rcases he with he | rfl
  · exact Or.inl ⟨e, he, rfl⟩
  · exact Or.inr rfl

theorem answersFromLog_preserved_by_query_takeRequest : WorldPreservedByClientReceive worldWf worldAssumed answersFromLog takeRequest := by
  intro topo s e0 m _ has _ _ _ _
  obtain ⟨_, _, _, hFrom⟩ := has
  refine answersFromLog_of_no_new_response hFrom (fun e he => ?_)
  simp only [Soup.consume, List.mem_map] at he
  obtain ⟨e', he', rfl⟩ := he
  exact Or.inl ⟨e', he', rfl⟩

theorem answersFromLog_preserved_by_query_takeResponse : WorldPreservedByClientReceive worldWf worldAssumed answersFromLog takeResponse := by
  intro topo s e0 m _ has _ _ _ _
  obtain ⟨_, _, _, hFrom⟩ := has
  refine answersFromLog_of_no_new_response hFrom (fun e he => ?_)
  simp only [Soup.consume, List.mem_map] at he
  obtain ⟨e', he', rfl⟩ := he
  exact Or.inl ⟨e', he', rfl⟩

/-- Under `tpcInv`, an idle participant's log is a prefix of the coordinator's `fullLog`, as long as its era. -/
theorem idle_fits {C : TwoPhaseCommit.CoordinatorState} {P : TwoPhaseCommit.ParticipantState}
    (hfit : TwoPhaseCommit.participantFits C P = true) (hinit : P.phase.isInit = true) (hlen : (C.log.length : Int) = C.era) :
    P.log <+: fullLog C ∧ (P.log.length : Int) = P.era := by
  rcases C with ⟨era, phase, log⟩
  rcases P with ⟨pera, pphase, plog⟩
  cases pphase <;> simp only [TwoPhaseCommit.ParticipantPhase.isInit, Bool.false_eq_true] at hinit
  cases phase <;>
    simp_all [TwoPhaseCommit.participantFits, TwoPhaseCommit.inEra, TwoPhaseCommit.decided, TwoPhaseCommit.movedOn,
      TwoPhaseCommit.sameLog_iff, TwoPhaseCommit.ParticipantPhase.isInit, TwoPhaseCommit.ParticipantPhase.isVotedYes,
      TwoPhaseCommit.ParticipantPhase.isVotedNo, TwoPhaseCommit.ParticipantPhase.isGotPrepare,
      TwoPhaseCommit.ParticipantPhase.isCommitted, TwoPhaseCommit.ParticipantPhase.isAborted,
      TwoPhaseCommit.CoordinatorPhase.data, fullLog, pendingDecision] <;>
    omega

theorem answersFromLog_preserved_by_query_answer : WorldPreservedByClientSend world worldWf worldAssumed answersFromLog answer := by
  intro topo s me to m hwf has _ hhooks
  obtain ⟨hC, _, _, hFrom⟩ := has
  obtain ⟨hwfC, _, _⟩ := hwf
  obtain ⟨c, hc, _⟩ := TwoPhaseCommit.wf_one hwfC
  have hh : answerWithOwnLog.pred topo.1 s.1.locals s.2.locals me to (answer.inj m) = true :=
    hhooks answerWithOwnLog (by simp [world]) rfl
  simp only [answerWithOwnLog, answer, Msg.asResponse, answerWithOwnLog_holds, Bool.and_eq_true, beq_iff_eq] at hh
  obtain ⟨hthis, ⟨hinit, hera⟩, hlog⟩ := hh
  have hmem : me ∈ topo.1.participant := by simpa using hthis
  have hlog' := sameLog_eq hlog
  obtain ⟨_, _, _, hinv⟩ := hC
  obtain ⟨hlen, hfits, _⟩ := (TwoPhaseCommit.tpcInv_iff hc s.1).mp hinv
  obtain ⟨hpre, hplen⟩ := idle_fits (hfits me hmem) hinit hlen
  rw [answersFromLog_iff] at hFrom ⊢
  intro e he
  simp only [Soup.post, List.mem_append, List.mem_singleton] at he
  rcases he with he | rfl
  · exact hFrom e he
  · apply Or.inr
    refine ⟨?_, ?_⟩
    · simp only [answer, Msg.log, Msg.era]
      rw [hlog', hera]
      exact hplen
    · intro x hx
      rw [hc, List.mem_singleton] at hx
      subst hx
      simp only [answer, Msg.log]
      rw [hlog']
      exact hpre

/-! ## `answersAgree`, from `answersFromLog` -/

/-- Each obligation of `answersAgree` from the same transition's obligation of `answersFromLog`. -/
macro "from_answersFromLog" h:ident : tactic =>
  `(tactic| (intro topo s; intros; apply answersAgree_of_answersFromLog; apply $h <;> assumption))

theorem answersAgree_init : WorldHoldsInitially world worldWf answersAgree := by
  intro topo h
  exact answersAgree_of_answersFromLog (answersFromLog_init topo h)

theorem answersAgree_preserved_by_tpc_sendPrepare : WorldPreservedByCoreSend worldWf worldAssumed answersAgree TwoPhaseCommit.sendPrepare := by
  from_answersFromLog answersFromLog_preserved_by_tpc_sendPrepare
theorem answersAgree_preserved_by_tpc_sendYes : WorldPreservedByCoreSend worldWf worldAssumed answersAgree TwoPhaseCommit.sendYes := by
  from_answersFromLog answersFromLog_preserved_by_tpc_sendYes
theorem answersAgree_preserved_by_tpc_sendNo : WorldPreservedByCoreSend worldWf worldAssumed answersAgree TwoPhaseCommit.sendNo := by
  from_answersFromLog answersFromLog_preserved_by_tpc_sendNo
theorem answersAgree_preserved_by_tpc_sendCommit : WorldPreservedByCoreSend worldWf worldAssumed answersAgree TwoPhaseCommit.sendCommit := by
  from_answersFromLog answersFromLog_preserved_by_tpc_sendCommit
theorem answersAgree_preserved_by_tpc_sendAbort : WorldPreservedByCoreSend worldWf worldAssumed answersAgree TwoPhaseCommit.sendAbort := by
  from_answersFromLog answersFromLog_preserved_by_tpc_sendAbort
theorem answersAgree_preserved_by_tpc_sendAckCommit : WorldPreservedByCoreSend worldWf worldAssumed answersAgree TwoPhaseCommit.sendAckCommit := by
  from_answersFromLog answersFromLog_preserved_by_tpc_sendAckCommit
theorem answersAgree_preserved_by_tpc_sendAckAbort : WorldPreservedByCoreSend worldWf worldAssumed answersAgree TwoPhaseCommit.sendAckAbort := by
  from_answersFromLog answersFromLog_preserved_by_tpc_sendAckAbort
theorem answersAgree_preserved_by_tpc_receivePrepare : WorldPreservedByCoreReceive worldWf worldAssumed answersAgree TwoPhaseCommit.receivePrepare := by
  from_answersFromLog answersFromLog_preserved_by_tpc_receivePrepare
theorem answersAgree_preserved_by_tpc_receiveCommit : WorldPreservedByCoreReceive worldWf worldAssumed answersAgree TwoPhaseCommit.receiveCommit := by
  from_answersFromLog answersFromLog_preserved_by_tpc_receiveCommit
theorem answersAgree_preserved_by_tpc_receiveAbort : WorldPreservedByCoreReceive worldWf worldAssumed answersAgree TwoPhaseCommit.receiveAbort := by
  from_answersFromLog answersFromLog_preserved_by_tpc_receiveAbort
theorem answersAgree_preserved_by_tpc_receiveYes : WorldPreservedByCoreReceive worldWf worldAssumed answersAgree TwoPhaseCommit.receiveYes := by
  from_answersFromLog answersFromLog_preserved_by_tpc_receiveYes
theorem answersAgree_preserved_by_tpc_receiveNo : WorldPreservedByCoreReceive worldWf worldAssumed answersAgree TwoPhaseCommit.receiveNo := by
  from_answersFromLog answersFromLog_preserved_by_tpc_receiveNo
theorem answersAgree_preserved_by_tpc_receiveAckCommit : WorldPreservedByCoreReceive worldWf worldAssumed answersAgree TwoPhaseCommit.receiveAckCommit := by
  from_answersFromLog answersFromLog_preserved_by_tpc_receiveAckCommit
theorem answersAgree_preserved_by_tpc_receiveAckAbort : WorldPreservedByCoreReceive worldWf worldAssumed answersAgree TwoPhaseCommit.receiveAckAbort := by
  from_answersFromLog answersFromLog_preserved_by_tpc_receiveAckAbort
theorem answersAgree_preserved_by_query_ask : WorldPreservedByClientSend world worldWf worldAssumed answersAgree ask := by
  from_answersFromLog answersFromLog_preserved_by_query_ask
theorem answersAgree_preserved_by_query_answer : WorldPreservedByClientSend world worldWf worldAssumed answersAgree answer := by
  from_answersFromLog answersFromLog_preserved_by_query_answer
theorem answersAgree_preserved_by_query_takeRequest : WorldPreservedByClientReceive worldWf worldAssumed answersAgree takeRequest := by
  from_answersFromLog answersFromLog_preserved_by_query_takeRequest
theorem answersAgree_preserved_by_query_takeResponse : WorldPreservedByClientReceive worldWf worldAssumed answersAgree takeResponse := by
  from_answersFromLog answersFromLog_preserved_by_query_takeResponse

/-! ## Every reachable state of the world -/

/-- Both world invariants, together, are an inductive invariant of the world, given Two-Phase
Commit's invariants (`TwoPhaseCommit.assumed`) on its part. -/
theorem worldInductive : World.Inductive world worldWf (fun topoC c => TwoPhaseCommit.assumed topoC c)
    (fun topo s => answersAgree topo s = true ∧ answersFromLog topo s = true) where
  init topo h := ⟨answersAgree_init topo h, answersFromLog_init topo h⟩
  core_send t ht topo s n to m hwf hc hj hen := by
    obtain ⟨hA, hF⟩ := hj
    have has : worldAssumed topo s := by unfold worldAssumed; exact ⟨hc, trivial, hA, hF⟩
    simp only [world, TwoPhaseCommit.protocol, List.mem_cons, List.not_mem_nil, or_false] at ht
    rcases ht with rfl | rfl | rfl | rfl | rfl | rfl | rfl
    · exact ⟨answersAgree_preserved_by_tpc_sendPrepare topo s n to m hwf has hen, answersFromLog_preserved_by_tpc_sendPrepare topo s n to m hwf has hen⟩
    · exact ⟨answersAgree_preserved_by_tpc_sendYes topo s n to m hwf has hen, answersFromLog_preserved_by_tpc_sendYes topo s n to m hwf has hen⟩
    · exact ⟨answersAgree_preserved_by_tpc_sendNo topo s n to m hwf has hen, answersFromLog_preserved_by_tpc_sendNo topo s n to m hwf has hen⟩
    · exact ⟨answersAgree_preserved_by_tpc_sendCommit topo s n to m hwf has hen, answersFromLog_preserved_by_tpc_sendCommit topo s n to m hwf has hen⟩
    · exact ⟨answersAgree_preserved_by_tpc_sendAbort topo s n to m hwf has hen, answersFromLog_preserved_by_tpc_sendAbort topo s n to m hwf has hen⟩
    · exact ⟨answersAgree_preserved_by_tpc_sendAckCommit topo s n to m hwf has hen, answersFromLog_preserved_by_tpc_sendAckCommit topo s n to m hwf has hen⟩
    · exact ⟨answersAgree_preserved_by_tpc_sendAckAbort topo s n to m hwf has hen, answersFromLog_preserved_by_tpc_sendAckAbort topo s n to m hwf has hen⟩
  core_receive t ht topo s e m hwf hc hj hin hact htag hacc := by
    obtain ⟨hA, hF⟩ := hj
    have has : worldAssumed topo s := by unfold worldAssumed; exact ⟨hc, trivial, hA, hF⟩
    simp only [world, TwoPhaseCommit.protocol, List.mem_cons, List.not_mem_nil, or_false] at ht
    rcases ht with rfl | rfl | rfl | rfl | rfl | rfl | rfl
    · exact ⟨answersAgree_preserved_by_tpc_receivePrepare topo s e m hwf has hin hact htag hacc, answersFromLog_preserved_by_tpc_receivePrepare topo s e m hwf has hin hact htag hacc⟩
    · exact ⟨answersAgree_preserved_by_tpc_receiveCommit topo s e m hwf has hin hact htag hacc, answersFromLog_preserved_by_tpc_receiveCommit topo s e m hwf has hin hact htag hacc⟩
    · exact ⟨answersAgree_preserved_by_tpc_receiveAbort topo s e m hwf has hin hact htag hacc, answersFromLog_preserved_by_tpc_receiveAbort topo s e m hwf has hin hact htag hacc⟩
    · exact ⟨answersAgree_preserved_by_tpc_receiveYes topo s e m hwf has hin hact htag hacc, answersFromLog_preserved_by_tpc_receiveYes topo s e m hwf has hin hact htag hacc⟩
    · exact ⟨answersAgree_preserved_by_tpc_receiveNo topo s e m hwf has hin hact htag hacc, answersFromLog_preserved_by_tpc_receiveNo topo s e m hwf has hin hact htag hacc⟩
    · exact ⟨answersAgree_preserved_by_tpc_receiveAckCommit topo s e m hwf has hin hact htag hacc, answersFromLog_preserved_by_tpc_receiveAckCommit topo s e m hwf has hin hact htag hacc⟩
    · exact ⟨answersAgree_preserved_by_tpc_receiveAckAbort topo s e m hwf has hin hact htag hacc, answersFromLog_preserved_by_tpc_receiveAckAbort topo s e m hwf has hin hact htag hacc⟩
  client_send t ht topo s n to m hwf hc hj hen hhooks := by
    obtain ⟨hA, hF⟩ := hj
    have has : worldAssumed topo s := by unfold worldAssumed; exact ⟨hc, trivial, hA, hF⟩
    simp only [world, protocol, List.mem_cons, List.not_mem_nil, or_false] at ht
    rcases ht with rfl | rfl
    · exact ⟨answersAgree_preserved_by_query_ask topo s n to m hwf has hen hhooks, answersFromLog_preserved_by_query_ask topo s n to m hwf has hen hhooks⟩
    · exact ⟨answersAgree_preserved_by_query_answer topo s n to m hwf has hen hhooks, answersFromLog_preserved_by_query_answer topo s n to m hwf has hen hhooks⟩
  client_receive t ht topo s e m hwf hc hj hin hact htag hacc := by
    obtain ⟨hA, hF⟩ := hj
    have has : worldAssumed topo s := by unfold worldAssumed; exact ⟨hc, trivial, hA, hF⟩
    simp only [world, protocol, List.mem_cons, List.not_mem_nil, or_false] at ht
    rcases ht with rfl | rfl
    · exact ⟨answersAgree_preserved_by_query_takeRequest topo s e m hwf has hin hact htag hacc, answersFromLog_preserved_by_query_takeRequest topo s e m hwf has hin hact htag hacc⟩
    · exact ⟨answersAgree_preserved_by_query_takeResponse topo s e m hwf has hin hact htag hacc, answersFromLog_preserved_by_query_takeResponse topo s e m hwf has hin hact htag hacc⟩

/-- Answer correctness (Disel's `QueryPlusTPC` postcondition, as an invariant): in every reachable
state of a well-formed world, every response agrees with the coordinator's log, given that Two-Phase
Commit's invariants hold in every state it reaches on its own. -/
theorem answersAgree_always_of_core (topo : TwoPhaseCommit.Topology × Topology) (h_wf : worldWf topo)
    (h_core : ∀ c, Reachable TwoPhaseCommit.protocol noHooks topo.1 c → TwoPhaseCommit.assumed topo.1 c)
    {s : WorldState TwoPhaseCommit.Locals TwoPhaseCommit.Msg Locals Msg} (h : World.Reachable world topo.1 topo.2 s) :
    answersAgree topo s = true :=
  (worldInductive.always topo h_wf h_core h).1

/-- Answer correctness for any number of participants (Disel's `QueryPlusTPC` postcondition, as
an invariant): in every reachable state of a well-formed world, every response is a log of as many
decisions as its era, agreeing with the coordinator's. Two-Phase Commit's invariants on its own
reachable states come from `TwoPhaseCommit.assumed_inductive`. -/
theorem answersAgree_always (topo : TwoPhaseCommit.Topology × Topology) (h_wf : worldWf topo)
    {s : WorldState TwoPhaseCommit.Locals TwoPhaseCommit.Msg Locals Msg} (h : World.Reachable world topo.1 topo.2 s) :
    answersAgree topo s = true :=
  answersAgree_always_of_core topo h_wf (fun _ hc => TwoPhaseCommit.assumed_inductive.always noHooks topo.1 h_wf.1 hc) h

/-- The strengthened invariant, in every reachable state of a well-formed world. -/
theorem answersFromLog_always (topo : TwoPhaseCommit.Topology × Topology) (h_wf : worldWf topo)
    {s : WorldState TwoPhaseCommit.Locals TwoPhaseCommit.Msg Locals Msg} (h : World.Reachable world topo.1 topo.2 s) :
    answersFromLog topo s = true :=
  (worldInductive.always topo h_wf (fun _ hc => TwoPhaseCommit.assumed_inductive.always noHooks topo.1 h_wf.1 hc) h).2

end QueryTpc

end
