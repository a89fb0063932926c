import Generated.TwoPhaseCommit.Automatic
import Generated.TwoPhaseCommit.Open

/-!
# Two-Phase Commit: towards log agreement for any number of participants

Hand-written, over the generated definitions (`Generated/TwoPhaseCommit/Spec.lean`). Log agreement
is not inductive on its own, so the protocol's properties include Disel's strengthened invariant as
`tpcInv` (`protocols/TwoPhaseCommit/index.ts`, after `TwoPhaseInductiveInv.v`): per phase of the
coordinator's era, where every participant can be, which votes and acknowledgements the coordinator
can have counted, and which messages of the era can be in the soup. The well-formed topologies have
one coordinator (`oneCoordinator`) and any number of participants.

The ladder proves the four initial-state obligations (`Generated/TwoPhaseCommit/Automatic.lean`).
Here:

- `logs_shape`: under `tpcInv`, every log is the coordinator's, or the coordinator's with the
  current era's decision appended, which gives `logAgreement` and `coordinatorAgreement`
  (`logAgreement_of_tpcInv`, `coordinatorAgreement_of_tpcInv`) in any state where `tpcInv` holds.
- `commitValidity_of`: commit validity follows from `tpcInv` and the validity of the coordinator's
  log, which a step keeps when it adds no `no` of a decided era (`coordLogValid_frame`).
- `pres_<transition>`: the participants' seven transitions keep `tpcInv` (Disel's `S_inv`/`R_inv`
  for them), through `participant_step`: the participant's new state fits, it keeps what the rest
  of the invariant says about it (`Keeps`), and every message is an old one or fits. With them,
  the four invariants' obligations for those transitions are proved, except commit validity under
  `sendNo`.

Open (`Generated/TwoPhaseCommit/Open.lean`): the coordinator's seven transitions, for which
`coordinator_step` is the frame lemma, and commit validity under `sendNo`; until they are proved,
`logAgreement_always` cannot be concluded.
-/

noncomputable section

namespace TwoPhaseCommit

open Protoweave

set_option linter.unusedVariables false
set_option linter.unusedSimpArgs false

theorem sameEntry_iff (a b : LogEntry) : sameEntry a b = true ↔ a = b := by
  cases a; cases b; simp [sameEntry]

theorem sameLog_iff (a b : List LogEntry) : sameLog a b = true ↔ a = b := by
  simp only [sameLog, Bool.and_eq_true, beq_iff_eq, List.all_eq_true]
  constructor
  · rintro ⟨hlen, hall⟩
    apply List.ext_getElem hlen
    intro i h1 h2
    have hm : (a[i], i) ∈ a.zipIdx := List.mem_zipIdx_iff_getElem?.mpr (List.getElem?_eq_getElem h1)
    have h : a[i] = b.getD i default := (sameEntry_iff _ _).mp (hall _ hm)
    rw [h, List.getD_eq_getElem?_getD, List.getElem?_eq_getElem h2]
    rfl
  · rintro rfl
    refine ⟨rfl, ?_⟩
    rintro ⟨e, i⟩ hm
    have h : a[i]? = some e := List.mem_zipIdx_iff_getElem?.mp hm
    apply (sameEntry_iff _ _).mpr
    rw [List.getD_eq_getElem?_getD, h]
    rfl

theorem wf_one {topo : Topology} (h : wf topo) : ∃ c, topo.coordinator = [c] ∧ c ∉ topo.participant := by
  obtain ⟨hnd, h1⟩ := h
  simp only [oneCoordinator, beq_iff_eq] at h1
  rcases hc : topo.coordinator with _ | ⟨c, _ | ⟨d, l⟩⟩
  · simp [hc] at h1
  · rw [hc, List.singleton_append] at hnd
    exact ⟨c, rfl, (List.nodup_cons.mp hnd).1⟩
  · simp [hc] at h1

theorem tpcInv_iff {topo : Topology} {c : Node} (hc : topo.coordinator = [c]) (s : Statelet Locals Msg) :
    tpcInv topo s = true ↔
      ((s.locals.coordinator c).log.length : Int) = (s.locals.coordinator c).era ∧
      (∀ q ∈ topo.participant, participantFits (s.locals.coordinator c) (s.locals.participant q) = true) ∧
      votesFit s topo (s.locals.coordinator c) = true ∧ ackedFit s topo (s.locals.coordinator c) = true ∧
      soupFits s topo (s.locals.coordinator c) = true := by
  simp only [tpcInv, hc, List.all_cons, List.all_nil, Bool.and_true, Bool.and_eq_true, beq_iff_eq,
    List.all_eq_true, and_assoc]

/-- Two logs one of which extends the other agree on every position both have. -/
theorem agree_of_prefix {a b : List LogEntry} (h : a <+: b ∨ b <+: a) :
    ∀ x ∈ a.zipIdx, x.2 ≥ b.length ∨ sameEntry x.1 (b.getD x.2 default) = true := by
  rintro ⟨e, i⟩ hm
  have hi : a[i]? = some e := List.mem_zipIdx_iff_getElem?.mp hm
  have ha : i < a.length := by
    rcases Nat.lt_or_ge i a.length with h' | h'
    · exact h'
    · rw [List.getElem?_eq_none h'] at hi
      cases hi
  by_cases hb : i < b.length
  · right
    have hab : b[i]? = some e := by
      rcases h with ⟨t, rfl⟩ | ⟨t, rfl⟩
      · rw [List.getElem?_append_left ha]; exact hi
      · rw [List.getElem?_append_left hb] at hi; exact hi
    rw [sameEntry_iff, List.getD_eq_getElem?_getD, hab]
    rfl
  · left
    simp only
    omega

/-- Every log is the coordinator's, or the coordinator's with the entry `x` of the current era, and
when `x` is a commit, no `no` of the current era is in the soup. -/
theorem logs_shape {topo : Topology} {c : Node} (hc : topo.coordinator = [c]) {s : Statelet Locals Msg}
    (h : tpcInv topo s = true) :
    ∃ x : LogEntry, (x.commit = true → ∀ m ∈ s.soup, ¬(m.msg.isNo = true ∧ m.msg.era = (s.locals.coordinator c).era)) ∧
      ∀ a ∈ logsOf s topo, a = (s.locals.coordinator c).log ∨ a = (s.locals.coordinator c).log ++ [x] := by
  rw [tpcInv_iff hc] at h
  obtain ⟨_, hpart, _, _, hsoup⟩ := h
  simp only [soupFits, List.all_eq_true] at hsoup
  have key : ∃ x : LogEntry, (x.commit = true → ∀ m ∈ s.soup, ¬(m.msg.isNo = true ∧ m.msg.era = (s.locals.coordinator c).era)) ∧
      ∀ q ∈ topo.participant,
      (s.locals.participant q).log = (s.locals.coordinator c).log ∨
      (s.locals.participant q).log = (s.locals.coordinator c).log ++ [x] := by
    cases hφ : (s.locals.coordinator c).phase with
    | init =>
      refine Exists.intro ⟨false, 0⟩ (And.intro (fun h => by simp at h) (fun q hq => Or.inl ?_))
      have := hpart q hq
      simp only [participantFits, hφ, inEra, sameLog_iff, Bool.and_eq_true, beq_iff_eq] at this
      exact this.2.2
    | sentPrepare d sent =>
      refine Exists.intro ⟨false, 0⟩ (And.intro (fun h => by simp at h) (fun q hq => Or.inl ?_))
      have := hpart q hq
      simp only [participantFits, hφ, inEra, sameLog_iff, Bool.and_eq_true, beq_iff_eq] at this
      exact this.1.2
    | waitVotes d votes =>
      refine Exists.intro ⟨false, 0⟩ (And.intro (fun h => by simp at h) (fun q hq => Or.inl ?_))
      have := hpart q hq
      simp only [participantFits, hφ, inEra, sameLog_iff, Bool.and_eq_true, beq_iff_eq] at this
      exact this.1.2
    | sentCommit d sent =>
      refine Exists.intro ⟨true, d⟩ (And.intro (fun _ m hm hnm => ?_) (fun q hq => ?_))
      · obtain ⟨hno, hera⟩ := hnm
        have := hsoup m hm
        rw [hφ] at this
        cases hmsg : m.msg <;> simp_all [Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data]
      · have := hpart q hq
        simp only [participantFits, hφ, inEra, decided, movedOn, sameLog_iff, Bool.and_eq_true, Bool.or_eq_true,
          beq_iff_eq, CoordinatorPhase.data] at this
        rcases this with (⟨_, h⟩ | ⟨_, _, h⟩) | ⟨_, h⟩
        · exact Or.inl h.2
        · exact Or.inr h
        · exact Or.inr h
    | waitAckCommit d acked =>
      refine Exists.intro ⟨true, d⟩ (And.intro (fun _ m hm hnm => ?_) (fun q hq => ?_))
      · obtain ⟨hno, hera⟩ := hnm
        have := hsoup m hm
        rw [hφ] at this
        cases hmsg : m.msg <;> simp_all [Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data]
      · have := hpart q hq
        simp only [participantFits, hφ, inEra, decided, movedOn, sameLog_iff, Bool.and_eq_true, Bool.or_eq_true,
          beq_iff_eq, CoordinatorPhase.data] at this
        rcases this with (⟨_, h⟩ | ⟨_, _, h⟩) | ⟨_, h⟩
        · exact Or.inl h.2
        · exact Or.inr h
        · exact Or.inr h
    | sentAbort d sent =>
      refine Exists.intro ⟨false, d⟩ (And.intro (fun h => by simp at h) (fun q hq => ?_))
      have := hpart q hq
      simp only [participantFits, hφ, inEra, decided, movedOn, sameLog_iff, Bool.and_eq_true, Bool.or_eq_true,
        beq_iff_eq, CoordinatorPhase.data] at this
      rcases this with (⟨_, h⟩ | ⟨_, _, h⟩) | ⟨_, h⟩
      · exact Or.inl h.2
      · exact Or.inr h
      · exact Or.inr h
    | waitAckAbort d acked =>
      refine Exists.intro ⟨false, d⟩ (And.intro (fun h => by simp at h) (fun q hq => ?_))
      have := hpart q hq
      simp only [participantFits, hφ, inEra, decided, movedOn, sameLog_iff, Bool.and_eq_true, Bool.or_eq_true,
        beq_iff_eq, CoordinatorPhase.data] at this
      rcases this with (⟨_, h⟩ | ⟨_, _, h⟩) | ⟨_, h⟩
      · exact Or.inl h.2
      · exact Or.inr h
      · exact Or.inr h
  obtain ⟨x, hxc, hx⟩ := key
  refine ⟨x, hxc, fun a ha => ?_⟩
  simp only [logsOf, hc, List.map_cons, List.map_nil, List.singleton_append, List.mem_cons, List.mem_map] at ha
  rcases ha with rfl | ⟨q, hq, rfl⟩
  · exact Or.inl rfl
  · exact hx q hq


/-- The strengthened invariant gives log agreement. -/
theorem logAgreement_of_tpcInv {topo : Topology} (hwf : wf topo) {s : Statelet Locals Msg}
    (h : tpcInv topo s = true) : logAgreement topo s = true := by
  obtain ⟨c, hc, _⟩ := wf_one hwf
  obtain ⟨x, -, hx⟩ := logs_shape hc h
  simp only [logAgreement, List.all_eq_true]
  intro a ha b hb y hy
  have hpre : a <+: b ∨ b <+: a := by
    rcases hx a ha with rfl | rfl <;> rcases hx b hb with rfl | rfl
    · exact Or.inl (List.prefix_refl _)
    · exact Or.inl (List.prefix_append _ _)
    · exact Or.inr (List.prefix_append _ _)
    · exact Or.inl (List.prefix_refl _)
  rcases y with ⟨e, i⟩
  show (decide (i ≥ b.length) || sameEntry e (b.getD i default)) = true
  rcases agree_of_prefix hpre (e, i) hy with h | h
  · simp only at h
    rw [Bool.or_eq_true, decide_eq_true_eq]
    exact Or.inl h
  · simp only at h
    rw [Bool.or_eq_true]
    exact Or.inr h

/-- The strengthened invariant gives the coordinator's agreement with idle participants. -/
theorem coordinatorAgreement_of_tpcInv {topo : Topology} (hwf : wf topo) {s : Statelet Locals Msg}
    (h : tpcInv topo s = true) : coordinatorAgreement topo s = true := by
  obtain ⟨c, hc, _⟩ := wf_one hwf
  rw [tpcInv_iff hc] at h
  obtain ⟨_, hpart, _⟩ := h
  simp only [coordinatorAgreement, hc, List.all_cons, List.all_nil, Bool.and_true, Bool.or_eq_true,
    Bool.not_eq_true', List.all_eq_true]
  cases hφ : (s.locals.coordinator c).phase with
  | init =>
    right
    intro q hq
    have := hpart q hq
    simp only [participantFits, hφ, inEra, Bool.and_eq_true] at this
    simp only [idleWith, Bool.and_eq_true]
    exact ⟨⟨this.1, this.2.1⟩, this.2.2⟩
  | _ => left; rfl



/-- What commit validity asks of the coordinator's log, against a soup. -/
def CoordLogValid (log : List LogEntry) (soup : Soup Msg) : Prop :=
  ∀ x ∈ log.zipIdx, x.1.commit = true → ∀ m ∈ soup, ¬(m.msg.isNo = true ∧ m.msg.era = (x.2 : Int))

/-- One log entry satisfies commit validity when, if it is a commit, no `no` of its era is in the soup. -/
theorem cv_entry {entry : LogEntry} {i : Nat} {soup : Soup Msg}
    (h : entry.commit = true → ∀ m ∈ soup, ¬(m.msg.isNo = true ∧ m.msg.era = (i : Int))) :
    ((!entry.commit) || !(soup.any (fun m => m.msg.isNo && (m.msg.era == (i : Int))))) = true := by
  cases hc : entry.commit
  · rfl
  · have h' := h hc
    rw [Bool.or_eq_true]
    right
    rw [Bool.not_eq_true', List.any_eq_false]
    intro m hm hf
    simp only [Bool.and_eq_true, beq_iff_eq] at hf
    exact h' m hm hf

/-- Commit validity follows from the strengthened invariant and commit validity of the coordinator's log. -/
theorem commitValidity_of {topo : Topology} {c : Node} (hc : topo.coordinator = [c]) {s : Statelet Locals Msg}
    (h : tpcInv topo s = true) (hlog : CoordLogValid (s.locals.coordinator c).log s.soup) :
    commitValidity topo s = true := by
  have hlen : ((s.locals.coordinator c).log.length : Int) = (s.locals.coordinator c).era := ((tpcInv_iff hc s).mp h).1
  obtain ⟨x, hxc, hx⟩ := logs_shape hc h
  simp only [commitValidity, List.all_eq_true]
  intro a ha y hy
  rcases y with ⟨entry, i⟩
  apply cv_entry
  rcases hx a ha with rfl | rfl
  · exact hlog (entry, i) hy
  · rw [List.zipIdx_append, List.mem_append] at hy
    rcases hy with hy | hy
    · exact hlog (entry, i) hy
    · simp only [List.zipIdx_cons, List.zipIdx_nil, List.mem_singleton, Prod.mk.injEq, Nat.zero_add] at hy
      obtain ⟨rfl, rfl⟩ := hy
      rw [hlen]
      exact hxc

/-- Commit validity of a state gives that of its coordinator's log. -/
theorem coordLogValid_of {topo : Topology} {c : Node} (hc : topo.coordinator = [c]) {s : Statelet Locals Msg}
    (hcv : commitValidity topo s = true) : CoordLogValid (s.locals.coordinator c).log s.soup := by
  simp only [commitValidity, List.all_eq_true] at hcv
  have hl := hcv (s.locals.coordinator c).log (by simp [logsOf, hc])
  rintro ⟨entry, i⟩ hx hcomm m hm ⟨hno, hera⟩
  have h2 : ((!entry.commit) || !(s.soup.any (fun m => m.msg.isNo && (m.msg.era == (i : Int))))) = true := hl (entry, i) hx
  simp only at hcomm
  rw [hcomm, Bool.not_true, Bool.false_or, Bool.not_eq_true', List.any_eq_false] at h2
  exact h2 m hm (by simp only at hera; simp [hno, hera])

/-- A coordinator's log stays valid in a soup whose new `no` messages are of its current era or later. -/
theorem coordLogValid_frame {log : List LogEntry} {soup soup' : Soup Msg} (hold : CoordLogValid log soup)
    (hnew : ∀ m' ∈ soup', m'.msg.isNo = true → (∃ m ∈ soup, m.msg = m'.msg ∧ m.src = m'.src) ∨ m'.msg.era ≥ (log.length : Int)) :
    CoordLogValid log soup' := by
  rintro ⟨entry, i⟩ hx hcomm m' hm' ⟨hno, hera⟩
  have hi : i < log.length := by
    have := (List.mem_zipIdx hx).2.1
    omega
  rcases hnew m' hm' hno with ⟨m, hm, hmsg, -⟩ | hge
  · exact hold (entry, i) hx hcomm m hm ⟨by rw [hmsg]; exact hno, by rw [hmsg]; exact hera⟩
  · simp only at hera
    omega


/-- While the coordinator collects commit acknowledgements, no `no` of its era is in the soup. -/
theorem noNo_commit {topo : Topology} {c : Node} (hc : topo.coordinator = [c]) {s : Statelet Locals Msg}
    (h : tpcInv topo s = true) (hφ : (s.locals.coordinator c).phase.isWaitAckCommit = true) :
    ∀ m ∈ s.soup, ¬(m.msg.isNo = true ∧ m.msg.era = (s.locals.coordinator c).era) := by
  rw [tpcInv_iff hc] at h
  obtain ⟨_, _, _, _, hsoup⟩ := h
  simp only [soupFits, List.all_eq_true] at hsoup
  intro m hm ⟨hno, hera⟩
  have := hsoup m hm
  cases hp : (s.locals.coordinator c).phase <;> simp only [hp, CoordinatorPhase.isWaitAckCommit, Bool.false_eq_true] at hφ this
  cases hmsg : m.msg <;> simp_all [Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data]

/-- Appending an entry keeps the coordinator's log valid when a commit entry has no `no` of its era. -/
theorem coordLogValid_append {log : List LogEntry} {soup : Soup Msg} {x : LogEntry} (h : CoordLogValid log soup)
    (hx : x.commit = true → ∀ m ∈ soup, ¬(m.msg.isNo = true ∧ m.msg.era = (log.length : Int))) :
    CoordLogValid (log ++ [x]) soup := by
  rintro ⟨entry, i⟩ hy hcomm m hm hnm
  rw [List.zipIdx_append, List.mem_append] at hy
  rcases hy with hy | hy
  · exact h (entry, i) hy hcomm m hm hnm
  · simp only [List.zipIdx_cons, List.zipIdx_nil, List.mem_singleton, Prod.mk.injEq, Nat.zero_add] at hy
    obtain ⟨rfl, rfl⟩ := hy
    exact hx hcomm m hm hnm


theorem contains_false {l : List Node} {a : Node} : l.contains a = false ↔ a ∉ l := by
  constructor
  · intro h hm
    rw [List.contains_iff_mem.mpr hm] at h
    cases h
  · intro h
    cases hc : l.contains a
    · rfl
    · exact absurd (List.contains_iff_mem.mp hc) h

/-- `soupFits`, message by message. -/
theorem soupFits_iff (s : Statelet Locals Msg) (topo : Topology) (C : CoordinatorState) :
    soupFits s topo C = true ↔ ∀ m ∈ s.soup, soupFits ⟨s.locals, [m]⟩ topo C = true := by
  simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, List.all_eq_true]

/-- Posting a message keeps every message and adds one. -/
theorem mem_post {soup : Soup Msg} {src dst : Node} {msg : Msg} {m' : Envelope Msg} (h : m' ∈ soup.post src dst msg) :
    (∃ m ∈ soup, m.msg = m'.msg ∧ m.src = m'.src) ∨ (m'.msg = msg ∧ m'.src = src) := by
  simp only [Soup.post, List.mem_append, List.mem_singleton] at h
  rcases h with h | rfl
  · exact Or.inl ⟨m', h, rfl, rfl⟩
  · exact Or.inr ⟨rfl, rfl⟩

/-- Consuming a message keeps every message's payload and sender. -/
theorem mem_consume {soup : Soup Msg} {id : Nat} {m' : Envelope Msg} (h : m' ∈ soup.consume id) :
    ∃ m ∈ soup, m.msg = m'.msg ∧ m.src = m'.src := by
  simp only [Soup.consume, List.mem_map] at h
  obtain ⟨m, hm, rfl⟩ := h
  exact ⟨m, hm, rfl, rfl⟩

/-- What the rest of the invariant may say about a participant, which a step of that participant
must keep: that it moved on with a decision, and (while votes are collected) how it voted. -/
structure Keeps (C : CoordinatorState) (u u' : ParticipantState) : Prop where
  moved : ∀ b d, movedOn C b d u = true → movedOn C b d u' = true
  yes : (C.phase.isSentPrepare = true ∨ C.phase.isWaitVotes = true) → u.phase.isVotedYes = true → u'.phase.isVotedYes = true
  no : (C.phase.isSentPrepare = true ∨ C.phase.isWaitVotes = true) → u.phase.isVotedNo = true → u'.phase.isVotedNo = true

theorem Keeps.rfl' {C : CoordinatorState} {u : ParticipantState} : Keeps C u u :=
  ⟨fun _ _ h => h, fun _ h => h, fun _ h => h⟩

theorem frame_votes {topo : Topology} {C : CoordinatorState} {ls : Locals} {soup soup' : Soup Msg} {p : Node}
    {u' : ParticipantState} (h : votesFit ⟨ls, soup⟩ topo C = true) (hk : Keeps C (ls.participant p) u') :
    votesFit ⟨{ ls with participant := update ls.participant p u' }, soup'⟩ topo C = true := by
  cases hφ : C.phase with
  | waitVotes d vs =>
    have hw : C.phase.isSentPrepare = true ∨ C.phase.isWaitVotes = true := Or.inr (by rw [hφ]; rfl)
    simp only [votesFit, hφ, CoordinatorPhase.votes, List.all_eq_true, Bool.or_eq_true, Bool.not_eq_true'] at h ⊢
    intro v hv
    rcases h v hv with h1 | h1
    · exact Or.inl h1
    · right
      by_cases hq : v.node = p
      · rw [hq] at h1 ⊢
        rw [update_self]
        cases hy : v.yes
        · simp only [hy, Bool.false_eq_true, ite_false] at h1 ⊢
          exact hk.no hw h1
        · simp only [hy, ite_true] at h1 ⊢
          exact hk.yes hw h1
      · rw [update_other _ _ _ _ hq]
        exact h1
  | _ => simp [votesFit, hφ]

theorem frame_acked {topo : Topology} {C : CoordinatorState} {ls : Locals} {soup soup' : Soup Msg} {p : Node}
    {u' : ParticipantState} (h : ackedFit ⟨ls, soup⟩ topo C = true) (hk : Keeps C (ls.participant p) u') :
    ackedFit ⟨{ ls with participant := update ls.participant p u' }, soup'⟩ topo C = true := by
  cases hφ : C.phase with
  | waitAckCommit d acked =>
    simp only [ackedFit, hφ, CoordinatorPhase.acked, CoordinatorPhase.data, List.all_eq_true, Bool.or_eq_true,
      Bool.not_eq_true'] at h ⊢
    intro n hn
    rcases h n hn with h1 | h1
    · exact Or.inl h1
    · right
      by_cases hq : n = p
      · rw [hq] at h1 ⊢
        rw [update_self]
        exact hk.moved _ _ h1
      · rw [update_other _ _ _ _ hq]
        exact h1
  | waitAckAbort d acked =>
    simp only [ackedFit, hφ, CoordinatorPhase.acked, CoordinatorPhase.data, List.all_eq_true, Bool.or_eq_true,
      Bool.not_eq_true'] at h ⊢
    intro n hn
    rcases h n hn with h1 | h1
    · exact Or.inl h1
    · right
      by_cases hq : n = p
      · rw [hq] at h1 ⊢
        rw [update_self]
        exact hk.moved _ _ h1
      · rw [update_other _ _ _ _ hq]
        exact h1
  | _ => simp [ackedFit, hφ]

theorem frame_msg {topo : Topology} {C : CoordinatorState} {ls : Locals} {p : Node} {u' : ParticipantState}
    {m m' : Envelope Msg} (h : soupFits ⟨ls, [m]⟩ topo C = true) (hk : Keeps C (ls.participant p) u')
    (hmsg : m.msg = m'.msg) (hsrc : m.src = m'.src) :
    soupFits ⟨{ ls with participant := update ls.participant p u' }, [m']⟩ topo C = true := by
  simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, ← hmsg, ← hsrc] at h ⊢
  by_cases hq : m.src = p
  · rw [hq] at h ⊢
    rw [update_self]
    have hy := hk.yes
    have hn := hk.no
    have hmv := hk.moved
    cases hφ : C.phase <;>
      simp only [hφ, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.data] at h hy hn ⊢ <;>
      grind
  · rw [update_other _ _ _ _ hq]
    exact h

/-- A participant's step keeps the invariant when its new state fits, it keeps what the rest of the
invariant says about it, and every message is an old one or fits. -/
theorem participant_step {topo : Topology} {c : Node} (hc : topo.coordinator = [c])
    {ls : Locals} {soup soup' : Soup Msg} {p : Node} {u' : ParticipantState}
    (h : tpcInv topo ⟨ls, soup⟩ = true)
    (hfit : participantFits (ls.coordinator c) u' = true)
    (hk : Keeps (ls.coordinator c) (ls.participant p) u')
    (hsoup' : ∀ m' ∈ soup', (∃ m ∈ soup, m.msg = m'.msg ∧ m.src = m'.src) ∨
        soupFits ⟨{ ls with participant := update ls.participant p u' }, [m']⟩ topo (ls.coordinator c) = true) :
    tpcInv topo ⟨{ ls with participant := update ls.participant p u' }, soup'⟩ = true := by
  rw [tpcInv_iff hc] at h ⊢
  obtain ⟨hlen, hpart, hvotes, hacked, hsoup⟩ := h
  refine ⟨hlen, ?_, frame_votes hvotes hk, frame_acked hacked hk, ?_⟩
  · intro q hq
    show participantFits (ls.coordinator c) (update ls.participant p u' q) = true
    by_cases hqp : q = p
    · rw [hqp, update_self]
      exact hfit
    · rw [update_other _ _ _ _ hqp]
      exact hpart q hq
  · rw [soupFits_iff] at hsoup ⊢
    intro m' hm'
    rcases hsoup' m' hm' with ⟨m, hm, hmsg, hsrc⟩ | hnew
    · exact frame_msg (hsoup m hm) hk hmsg hsrc
    · exact hnew

/-- A coordinator's step keeps the invariant when its new state and every message fit. -/
theorem coordinator_step {topo : Topology} {c : Node} (hc : topo.coordinator = [c])
    {ls : Locals} {soup' : Soup Msg} {C' : CoordinatorState}
    (hlen : (C'.log.length : Int) = C'.era)
    (hpart : ∀ q ∈ topo.participant, participantFits C' (ls.participant q) = true)
    (hvotes : votesFit ⟨ls, soup'⟩ topo C' = true) (hacked : ackedFit ⟨ls, soup'⟩ topo C' = true)
    (hsoup : ∀ m ∈ soup', soupFits ⟨ls, [m]⟩ topo C' = true) :
    tpcInv topo ⟨{ ls with coordinator := update ls.coordinator c C' }, soup'⟩ = true := by
  rw [tpcInv_iff hc]
  simp only [update_self]
  exact ⟨hlen, hpart, hvotes, hacked, (soupFits_iff _ _ _).mpr hsoup⟩

/-- `sendYes` keeps the strengthened invariant. -/
theorem pres_sendYes {topo : Topology} {s : Statelet Locals Msg} {this to : Node} {m : EraMessage}
    (hwf : wf topo) (h : tpcInv topo s = true) (hen : sendYes.enabled topo s.locals this to m = true) :
    tpcInv topo { locals := sendYes.next topo s.locals this to m, soup := s.soup.post this to (sendYes.inj m) } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hinv := (tpcInv_iff hc s).mp h
  have hlen := hinv.1
  simp only [sendYes, sendYes_guard, Bool.and_eq_true, List.contains_iff_mem, beq_iff_eq] at hen
  obtain ⟨⟨hp, -⟩, hg, hera⟩ := hen
  have hpart := hinv.2.1 this hp
  cases hψ : (s.locals.participant this).phase <;> simp only [hψ, ParticipantPhase.isGotPrepare, Bool.false_eq_true] at hg
  simp only [sendYes]
  refine participant_step (ls := s.locals) (soup := s.soup) hc h ?_ ?_ ?_ <;> clear h hinv
  · (cases hφ : (s.locals.coordinator c).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, sendYes_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data, List.contains_iff_mem, contains_false] <;>
        first | omega | grind)
  · refine ⟨fun b d hmv => ?_, fun hw hy => ?_, fun hw hn => ?_⟩ <;>
      (cases hφ : (s.locals.coordinator c).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, sendYes_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data, List.contains_iff_mem, contains_false] <;>
        first | omega | grind)
  · intro m' hm'
    rcases mem_post hm' with hold | ⟨hmsg, hsrc⟩
    · exact Or.inl hold
    · right
      simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, hmsg, hsrc]
      (cases hφ : (s.locals.coordinator c).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, sendYes_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data, List.contains_iff_mem, contains_false] <;>
        first | omega | grind)

/-- `sendNo` keeps the strengthened invariant. -/
theorem pres_sendNo {topo : Topology} {s : Statelet Locals Msg} {this to : Node} {m : EraMessage}
    (hwf : wf topo) (h : tpcInv topo s = true) (hen : sendNo.enabled topo s.locals this to m = true) :
    tpcInv topo { locals := sendNo.next topo s.locals this to m, soup := s.soup.post this to (sendNo.inj m) } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hinv := (tpcInv_iff hc s).mp h
  have hlen := hinv.1
  simp only [sendNo, sendNo_guard, Bool.and_eq_true, List.contains_iff_mem, beq_iff_eq] at hen
  obtain ⟨⟨hp, -⟩, hg, hera⟩ := hen
  have hpart := hinv.2.1 this hp
  simp only [sendNo]
  refine participant_step (ls := s.locals) (soup := s.soup) hc h ?_ ?_ ?_ <;> clear h hinv
  · (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant this).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, sendNo_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
  · refine ⟨fun b d hmv => ?_, fun hw hy => ?_, fun hw hn => ?_⟩ <;>
      (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant this).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, sendNo_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
  · intro m' hm'
    rcases mem_post hm' with hold | ⟨hmsg, hsrc⟩
    · exact Or.inl hold
    · right
      simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, hmsg, hsrc]
      (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant this).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, sendNo_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)

/-- `sendAckCommit` keeps the strengthened invariant. -/
theorem pres_sendAckCommit {topo : Topology} {s : Statelet Locals Msg} {this to : Node} {m : EraMessage}
    (hwf : wf topo) (h : tpcInv topo s = true) (hen : sendAckCommit.enabled topo s.locals this to m = true) :
    tpcInv topo { locals := sendAckCommit.next topo s.locals this to m, soup := s.soup.post this to (sendAckCommit.inj m) } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hinv := (tpcInv_iff hc s).mp h
  have hlen := hinv.1
  simp only [sendAckCommit, sendAckCommit_guard, Bool.and_eq_true, List.contains_iff_mem, beq_iff_eq] at hen
  obtain ⟨⟨hp, -⟩, hg, hera⟩ := hen
  have hpart := hinv.2.1 this hp
  simp only [sendAckCommit]
  refine participant_step (ls := s.locals) (soup := s.soup) hc h ?_ ?_ ?_ <;> clear h hinv
  · (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant this).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, sendAckCommit_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
  · refine ⟨fun b d hmv => ?_, fun hw hy => ?_, fun hw hn => ?_⟩ <;>
      (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant this).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, sendAckCommit_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
  · intro m' hm'
    rcases mem_post hm' with hold | ⟨hmsg, hsrc⟩
    · exact Or.inl hold
    · right
      simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, hmsg, hsrc]
      (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant this).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, sendAckCommit_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)

/-- `sendAckAbort` keeps the strengthened invariant. -/
theorem pres_sendAckAbort {topo : Topology} {s : Statelet Locals Msg} {this to : Node} {m : EraMessage}
    (hwf : wf topo) (h : tpcInv topo s = true) (hen : sendAckAbort.enabled topo s.locals this to m = true) :
    tpcInv topo { locals := sendAckAbort.next topo s.locals this to m, soup := s.soup.post this to (sendAckAbort.inj m) } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hinv := (tpcInv_iff hc s).mp h
  have hlen := hinv.1
  simp only [sendAckAbort, sendAckAbort_guard, Bool.and_eq_true, List.contains_iff_mem, beq_iff_eq] at hen
  obtain ⟨⟨hp, -⟩, hg, hera⟩ := hen
  have hpart := hinv.2.1 this hp
  simp only [sendAckAbort]
  refine participant_step (ls := s.locals) (soup := s.soup) hc h ?_ ?_ ?_ <;> clear h hinv
  · (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant this).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, sendAckAbort_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
  · refine ⟨fun b d hmv => ?_, fun hw hy => ?_, fun hw hn => ?_⟩ <;>
      (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant this).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, sendAckAbort_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
  · intro m' hm'
    rcases mem_post hm' with hold | ⟨hmsg, hsrc⟩
    · exact Or.inl hold
    · right
      simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, hmsg, hsrc]
      (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant this).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, sendAckAbort_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)

/-- `receivePrepare` keeps the strengthened invariant. -/
theorem pres_receivePrepare {topo : Topology} {s : Statelet Locals Msg} {e : Envelope Msg} {m : Prepare}
    (hwf : wf topo) (h : tpcInv topo s = true) (hin : e ∈ s.soup) (htag : receivePrepare.payloadOf e.msg = some m)
    (hacc : receivePrepare.accepts topo s.locals e.dst e.src m = true) :
    tpcInv topo { locals := receivePrepare.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hinv := (tpcInv_iff hc s).mp h
  have hlen := hinv.1
  have he := ((soupFits_iff _ _ _).mp hinv.2.2.2.2) e hin
  have hm : e.msg = Msg.prepare m := by
    simp only [receivePrepare] at htag
    cases hmsg : e.msg <;> simp_all [Msg.asPrepare]
  simp only [receivePrepare, List.contains_iff_mem] at hacc
  have hpart := hinv.2.1 e.dst hacc
  simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, hm] at he
  simp only [receivePrepare]
  by_cases hme : m.era = (s.locals.participant e.dst).era
  · refine participant_step (ls := s.locals) (soup := s.soup) hc h ?_ ?_ ?_ <;> clear h hinv
    · (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant e.dst).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, receivePrepare_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
    · refine ⟨fun b d hmv => ?_, fun hw hy => ?_, fun hw hn => ?_⟩ <;>
        (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant e.dst).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, receivePrepare_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
    · intro m' hm'
      exact Or.inl (mem_consume hm')
  · refine participant_step (ls := s.locals) (soup := s.soup) hc h ?_ ?_ ?_ <;> clear h hinv
    · (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant e.dst).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, receivePrepare_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
    · refine ⟨fun b d hmv => ?_, fun hw hy => ?_, fun hw hn => ?_⟩ <;>
        (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant e.dst).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, receivePrepare_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
    · intro m' hm'
      exact Or.inl (mem_consume hm')

/-- `receiveCommit` keeps the strengthened invariant. -/
theorem pres_receiveCommit {topo : Topology} {s : Statelet Locals Msg} {e : Envelope Msg} {m : EraMessage}
    (hwf : wf topo) (h : tpcInv topo s = true) (hin : e ∈ s.soup) (htag : receiveCommit.payloadOf e.msg = some m)
    (hacc : receiveCommit.accepts topo s.locals e.dst e.src m = true) :
    tpcInv topo { locals := receiveCommit.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hinv := (tpcInv_iff hc s).mp h
  have hlen := hinv.1
  have he := ((soupFits_iff _ _ _).mp hinv.2.2.2.2) e hin
  have hm : e.msg = Msg.commit m := by
    simp only [receiveCommit] at htag
    cases hmsg : e.msg <;> simp_all [Msg.asCommit]
  simp only [receiveCommit, List.contains_iff_mem] at hacc
  have hpart := hinv.2.1 e.dst hacc
  simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, hm] at he
  simp only [receiveCommit]
  by_cases hme : m.era = (s.locals.participant e.dst).era
  · refine participant_step (ls := s.locals) (soup := s.soup) hc h ?_ ?_ ?_ <;> clear h hinv
    · (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant e.dst).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, receiveCommit_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
    · refine ⟨fun b d hmv => ?_, fun hw hy => ?_, fun hw hn => ?_⟩ <;>
        (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant e.dst).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, receiveCommit_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
    · intro m' hm'
      exact Or.inl (mem_consume hm')
  · refine participant_step (ls := s.locals) (soup := s.soup) hc h ?_ ?_ ?_ <;> clear h hinv
    · (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant e.dst).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, receiveCommit_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
    · refine ⟨fun b d hmv => ?_, fun hw hy => ?_, fun hw hn => ?_⟩ <;>
        (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant e.dst).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, receiveCommit_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
    · intro m' hm'
      exact Or.inl (mem_consume hm')

/-- `receiveAbort` keeps the strengthened invariant. -/
theorem pres_receiveAbort {topo : Topology} {s : Statelet Locals Msg} {e : Envelope Msg} {m : EraMessage}
    (hwf : wf topo) (h : tpcInv topo s = true) (hin : e ∈ s.soup) (htag : receiveAbort.payloadOf e.msg = some m)
    (hacc : receiveAbort.accepts topo s.locals e.dst e.src m = true) :
    tpcInv topo { locals := receiveAbort.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hinv := (tpcInv_iff hc s).mp h
  have hlen := hinv.1
  have he := ((soupFits_iff _ _ _).mp hinv.2.2.2.2) e hin
  have hm : e.msg = Msg.abort m := by
    simp only [receiveAbort] at htag
    cases hmsg : e.msg <;> simp_all [Msg.asAbort]
  simp only [receiveAbort, List.contains_iff_mem] at hacc
  have hpart := hinv.2.1 e.dst hacc
  simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, hm] at he
  simp only [receiveAbort]
  by_cases hme : m.era = (s.locals.participant e.dst).era
  · refine participant_step (ls := s.locals) (soup := s.soup) hc h ?_ ?_ ?_ <;> clear h hinv
    · (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant e.dst).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, receiveAbort_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
    · refine ⟨fun b d hmv => ?_, fun hw hy => ?_, fun hw hn => ?_⟩ <;>
        (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant e.dst).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, receiveAbort_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
    · intro m' hm'
      exact Or.inl (mem_consume hm')
  · refine participant_step (ls := s.locals) (soup := s.soup) hc h ?_ ?_ ?_ <;> clear h hinv
    · (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant e.dst).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, receiveAbort_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
    · refine ⟨fun b d hmv => ?_, fun hw hy => ?_, fun hw hn => ?_⟩ <;>
        (cases hφ : (s.locals.coordinator c).phase <;> cases hψ : (s.locals.participant e.dst).phase <;>
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, update, receiveAbort_step, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data] <;>
        first | omega | grind)
    · intro m' hm'
      exact Or.inl (mem_consume hm')

theorem tpcInv_preserved_by_sendYes : PreservedBySend wf assumed tpcInv sendYes :=
  fun _ _ _ _ _ hwf ha hen => pres_sendYes hwf ha.2.2.2 hen

theorem logAgreement_preserved_by_sendYes : PreservedBySend wf assumed logAgreement sendYes :=
  fun _ _ _ _ _ hwf ha hen => logAgreement_of_tpcInv hwf (pres_sendYes hwf ha.2.2.2 hen)

theorem coordinatorAgreement_preserved_by_sendYes : PreservedBySend wf assumed coordinatorAgreement sendYes :=
  fun _ _ _ _ _ hwf ha hen => coordinatorAgreement_of_tpcInv hwf (pres_sendYes hwf ha.2.2.2 hen)

theorem tpcInv_preserved_by_sendNo : PreservedBySend wf assumed tpcInv sendNo :=
  fun _ _ _ _ _ hwf ha hen => pres_sendNo hwf ha.2.2.2 hen

theorem logAgreement_preserved_by_sendNo : PreservedBySend wf assumed logAgreement sendNo :=
  fun _ _ _ _ _ hwf ha hen => logAgreement_of_tpcInv hwf (pres_sendNo hwf ha.2.2.2 hen)

theorem coordinatorAgreement_preserved_by_sendNo : PreservedBySend wf assumed coordinatorAgreement sendNo :=
  fun _ _ _ _ _ hwf ha hen => coordinatorAgreement_of_tpcInv hwf (pres_sendNo hwf ha.2.2.2 hen)

theorem tpcInv_preserved_by_sendAckCommit : PreservedBySend wf assumed tpcInv sendAckCommit :=
  fun _ _ _ _ _ hwf ha hen => pres_sendAckCommit hwf ha.2.2.2 hen

theorem logAgreement_preserved_by_sendAckCommit : PreservedBySend wf assumed logAgreement sendAckCommit :=
  fun _ _ _ _ _ hwf ha hen => logAgreement_of_tpcInv hwf (pres_sendAckCommit hwf ha.2.2.2 hen)

theorem coordinatorAgreement_preserved_by_sendAckCommit : PreservedBySend wf assumed coordinatorAgreement sendAckCommit :=
  fun _ _ _ _ _ hwf ha hen => coordinatorAgreement_of_tpcInv hwf (pres_sendAckCommit hwf ha.2.2.2 hen)

theorem tpcInv_preserved_by_sendAckAbort : PreservedBySend wf assumed tpcInv sendAckAbort :=
  fun _ _ _ _ _ hwf ha hen => pres_sendAckAbort hwf ha.2.2.2 hen

theorem logAgreement_preserved_by_sendAckAbort : PreservedBySend wf assumed logAgreement sendAckAbort :=
  fun _ _ _ _ _ hwf ha hen => logAgreement_of_tpcInv hwf (pres_sendAckAbort hwf ha.2.2.2 hen)

theorem coordinatorAgreement_preserved_by_sendAckAbort : PreservedBySend wf assumed coordinatorAgreement sendAckAbort :=
  fun _ _ _ _ _ hwf ha hen => coordinatorAgreement_of_tpcInv hwf (pres_sendAckAbort hwf ha.2.2.2 hen)

theorem tpcInv_preserved_by_receivePrepare : PreservedByReceive wf assumed tpcInv receivePrepare :=
  fun _ _ _ _ hwf ha hin _ htag hacc => pres_receivePrepare hwf ha.2.2.2 hin htag hacc

theorem logAgreement_preserved_by_receivePrepare : PreservedByReceive wf assumed logAgreement receivePrepare :=
  fun _ _ _ _ hwf ha hin _ htag hacc => logAgreement_of_tpcInv hwf (pres_receivePrepare hwf ha.2.2.2 hin htag hacc)

theorem coordinatorAgreement_preserved_by_receivePrepare : PreservedByReceive wf assumed coordinatorAgreement receivePrepare :=
  fun _ _ _ _ hwf ha hin _ htag hacc => coordinatorAgreement_of_tpcInv hwf (pres_receivePrepare hwf ha.2.2.2 hin htag hacc)

theorem tpcInv_preserved_by_receiveCommit : PreservedByReceive wf assumed tpcInv receiveCommit :=
  fun _ _ _ _ hwf ha hin _ htag hacc => pres_receiveCommit hwf ha.2.2.2 hin htag hacc

theorem logAgreement_preserved_by_receiveCommit : PreservedByReceive wf assumed logAgreement receiveCommit :=
  fun _ _ _ _ hwf ha hin _ htag hacc => logAgreement_of_tpcInv hwf (pres_receiveCommit hwf ha.2.2.2 hin htag hacc)

theorem coordinatorAgreement_preserved_by_receiveCommit : PreservedByReceive wf assumed coordinatorAgreement receiveCommit :=
  fun _ _ _ _ hwf ha hin _ htag hacc => coordinatorAgreement_of_tpcInv hwf (pres_receiveCommit hwf ha.2.2.2 hin htag hacc)

theorem tpcInv_preserved_by_receiveAbort : PreservedByReceive wf assumed tpcInv receiveAbort :=
  fun _ _ _ _ hwf ha hin _ htag hacc => pres_receiveAbort hwf ha.2.2.2 hin htag hacc

theorem logAgreement_preserved_by_receiveAbort : PreservedByReceive wf assumed logAgreement receiveAbort :=
  fun _ _ _ _ hwf ha hin _ htag hacc => logAgreement_of_tpcInv hwf (pres_receiveAbort hwf ha.2.2.2 hin htag hacc)

theorem coordinatorAgreement_preserved_by_receiveAbort : PreservedByReceive wf assumed coordinatorAgreement receiveAbort :=
  fun _ _ _ _ hwf ha hin _ htag hacc => coordinatorAgreement_of_tpcInv hwf (pres_receiveAbort hwf ha.2.2.2 hin htag hacc)

theorem commitValidity_preserved_by_sendYes : PreservedBySend wf assumed commitValidity sendYes := by
  intro topo s this to m hwf ha hen
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_sendYes hwf ha.2.2.2 hen)
  refine coordLogValid_frame (soup := s.soup) (coordLogValid_of hc ha.2.1) ?_
  intro m' hm' hno
  rcases mem_post hm' with h | h
  · exact Or.inl h
  · rw [h.1] at hno
    cases hno

theorem commitValidity_preserved_by_sendAckCommit : PreservedBySend wf assumed commitValidity sendAckCommit := by
  intro topo s this to m hwf ha hen
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_sendAckCommit hwf ha.2.2.2 hen)
  refine coordLogValid_frame (soup := s.soup) (coordLogValid_of hc ha.2.1) ?_
  intro m' hm' hno
  rcases mem_post hm' with h | h
  · exact Or.inl h
  · rw [h.1] at hno
    cases hno

theorem commitValidity_preserved_by_sendAckAbort : PreservedBySend wf assumed commitValidity sendAckAbort := by
  intro topo s this to m hwf ha hen
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_sendAckAbort hwf ha.2.2.2 hen)
  refine coordLogValid_frame (soup := s.soup) (coordLogValid_of hc ha.2.1) ?_
  intro m' hm' hno
  rcases mem_post hm' with h | h
  · exact Or.inl h
  · rw [h.1] at hno
    cases hno

theorem commitValidity_preserved_by_receivePrepare : PreservedByReceive wf assumed commitValidity receivePrepare := by
  intro topo s e m hwf ha hin _ htag hacc
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_receivePrepare hwf ha.2.2.2 hin htag hacc)
  exact coordLogValid_frame (soup := s.soup) (coordLogValid_of hc ha.2.1) (fun _ hm' _ => Or.inl (mem_consume hm'))

theorem commitValidity_preserved_by_receiveCommit : PreservedByReceive wf assumed commitValidity receiveCommit := by
  intro topo s e m hwf ha hin _ htag hacc
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_receiveCommit hwf ha.2.2.2 hin htag hacc)
  exact coordLogValid_frame (soup := s.soup) (coordLogValid_of hc ha.2.1) (fun _ hm' _ => Or.inl (mem_consume hm'))

theorem commitValidity_preserved_by_receiveAbort : PreservedByReceive wf assumed commitValidity receiveAbort := by
  intro topo s e m hwf ha hin _ htag hacc
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_receiveAbort hwf ha.2.2.2 hin htag hacc)
  exact coordLogValid_frame (soup := s.soup) (coordLogValid_of hc ha.2.1) (fun _ hm' _ => Or.inl (mem_consume hm'))



end TwoPhaseCommit

end
