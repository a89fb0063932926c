import Generated.TwoPhaseCommit.Automatic
import Generated.TwoPhaseCommit.Open

/-!
# Two-Phase Commit: log agreement for any number of participants

Hand-written, over the generated definitions (`Generated/TwoPhaseCommit/Spec.lean`). Log agreement
is not inductive on its own, so the protocol's properties include Disel's strengthened invariant as
`tpcInv` (`protocols/TwoPhaseCommit/index.ts`, after `TwoPhaseInductiveInv.v`): per phase of the
coordinator's era, where every participant can be, which votes and acknowledgements the coordinator
can have counted, and which messages of the era can be in the soup. The well-formed topologies have
one coordinator (`oneCoordinator`) and any number of participants.

The ladder proves the four initial-state obligations (`Generated/TwoPhaseCommit/Automatic.lean`).
Here, after Disel's `TwoPhaseInductiveProof.v`, the 56 preservation obligations:

- `logs_shape`: under `tpcInv`, every log is the coordinator's, or the coordinator's with the
  current era's decision appended, which gives `logAgreement` and `coordinatorAgreement`
  (`logAgreement_of_tpcInv`, `coordinatorAgreement_of_tpcInv`) in any state where `tpcInv` holds.
- `commitValidity_of`: commit validity follows from `tpcInv` and the validity of the coordinator's
  log, which a step keeps when it adds no `no` of a decided era (`coordLogValid_frame`; a `no` is
  sent only in the coordinator's current era, `gotPrepare_era`).
- `pres_<transition>`: each of the fourteen transitions keeps `tpcInv` (Disel's `S_inv`/`R_inv`).
  The participants' seven go through `participant_step`: the participant's new state fits, it keeps
  what the rest of the invariant says about it (`Keeps`), and every message is an old one or fits.
  The coordinator's seven go through `coordinator_step` (`coord_post`, `coord_consume`): what the
  invariant says of a participant and of a message of the era depends on the coordinator's phase
  only through its class and data (`phaseKey`, `soupFits_key`, `participantFits_key`), so a step
  within a class keeps it; moving to a decision needs every vote in (`voted_of_allVoted`), and a
  commit needs every vote yes, so no `no` of the era is in the soup (`soup_votes_to_commit`);
  closing an era moves every message into the past (`soupFits_le`, `soupFits_lt`).

With the four invariants' obligations for the fourteen transitions, `assumed_inductive` makes the
four invariants together inductive, and `Inductive.always` gives them in every reachable state:
`logAgreement_always`, `commitValidity_always`, `coordinatorAgreement_always`, `tpcInv_always`.
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


theorem votedYes_not_votedNo {φ : ParticipantPhase} (h : φ.isVotedYes = true) : φ.isVotedNo = false := by
  cases φ <;> simp_all [ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo]

/-- Once every participant has voted, each participant has cast the vote the coordinator counted. -/
theorem voted_of_allVoted {topo : Topology} {C : CoordinatorState} {ls : Locals} {soup : Soup Msg} {d : Int}
    {vs : List Vote} (hφ : C.phase = .waitVotes d vs) (hvotes : votesFit ⟨ls, soup⟩ topo C = true)
    (hall : allVoted topo.participant vs = true) :
    ∀ q ∈ topo.participant, ∃ v ∈ vs, v.node = q ∧
      (if v.yes then (ls.participant q).phase.isVotedYes else (ls.participant q).phase.isVotedNo) = true := by
  simp only [votesFit, hφ, CoordinatorPhase.votes, List.all_eq_true, Bool.or_eq_true, Bool.not_eq_true'] at hvotes
  simp only [allVoted, List.all_eq_true, List.any_eq_true, beq_iff_eq] at hall
  intro q hq
  obtain ⟨v, hv, hvq⟩ := hall q hq
  refine ⟨v, hv, hvq, ?_⟩
  rcases hvotes v hv with h | h
  · have hc : topo.participant.contains v.node = true := List.contains_iff_mem.mpr (hvq ▸ hq)
    rw [hc] at h
    cases h
  · rw [hvq] at h
    exact h

/-- The old messages of a coordinator step, message by message. -/
theorem old_msg {topo : Topology} {ls : Locals} {C C' : CoordinatorState} {m0 m' : Envelope Msg}
    (hmsg : m0.msg = m'.msg) (hsrc : m0.src = m'.src)
    (h : soupFits ⟨ls, [m0]⟩ topo C = true → soupFits ⟨ls, [m0]⟩ topo C' = true)
    (h0 : soupFits ⟨ls, [m0]⟩ topo C = true) : soupFits ⟨ls, [m']⟩ topo C' = true := by
  have := h h0
  simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true] at this ⊢
  rw [← hmsg, ← hsrc]
  exact this


/-! ## The coordinator's transitions

What the invariant says of a message of the coordinator's era, and of a participant, depends on
the coordinator's phase only through its class (collecting votes, committing, aborting) and its
data: `phaseKey`. A step that keeps the era, the log and the key keeps both (`soupFits_key`,
`participantFits_key`). -/

/-- A coordinator phase as the invariant sees it: its class and its data. -/
def phaseKey : CoordinatorPhase → Nat × Int
  | .init => (0, 0)
  | .sentPrepare d _ => (1, d)
  | .waitVotes d _ => (1, d)
  | .sentCommit d _ => (2, d)
  | .waitAckCommit d _ => (2, d)
  | .sentAbort d _ => (3, d)
  | .waitAckAbort d _ => (3, d)

theorem soupFits_key {s : Statelet Locals Msg} {topo : Topology} {C C' : CoordinatorState}
    (he : C'.era = C.era) (hl : C'.log = C.log) (hk : phaseKey C'.phase = phaseKey C.phase) :
    soupFits s topo C' = soupFits s topo C := by
  obtain ⟨e', φ', l'⟩ := C'
  obtain ⟨e, φ, l⟩ := C
  change e' = e at he
  change l' = l at hl
  subst he
  subst hl
  change phaseKey φ' = phaseKey φ at hk
  cases φ' <;> cases φ <;> simp only [phaseKey, Prod.mk.injEq] at hk <;>
    first
    | rfl
    | (obtain ⟨-, rfl⟩ := hk; rfl)
    | (subst hk; rfl)
    | (simp at hk)

theorem participantFits_key {C C' : CoordinatorState} {pt : ParticipantState}
    (he : C'.era = C.era) (hl : C'.log = C.log) (hk : phaseKey C'.phase = phaseKey C.phase) :
    participantFits C' pt = participantFits C pt := by
  obtain ⟨e', φ', l'⟩ := C'
  obtain ⟨e, φ, l⟩ := C
  change e' = e at he
  change l' = l at hl
  subst he
  subst hl
  change phaseKey φ' = phaseKey φ at hk
  cases φ' <;> cases φ <;> simp only [phaseKey, Prod.mk.injEq] at hk <;>
    first
    | rfl
    | (obtain ⟨-, rfl⟩ := hk; rfl)
    | (subst hk; rfl)
    | (simp at hk)

theorem soupFits_of_key {ls : Locals} {topo : Topology} {C C' : CoordinatorState} {m : Envelope Msg}
    (he : C'.era = C.era) (hl : C'.log = C.log) (hk : phaseKey C'.phase = phaseKey C.phase)
    (h : soupFits ⟨ls, [m]⟩ topo C = true) : soupFits ⟨ls, [m]⟩ topo C' = true := by
  rw [soupFits_key he hl hk]
  exact h

theorem participantFits_of_key {C C' : CoordinatorState} {pt : ParticipantState}
    (he : C'.era = C.era) (hl : C'.log = C.log) (hk : phaseKey C'.phase = phaseKey C.phase)
    (h : participantFits C pt = true) : participantFits C' pt = true := by
  rw [participantFits_key he hl hk]
  exact h

/-- A message of an earlier era fits any phase. -/
theorem soupFits_lt {ls : Locals} {topo : Topology} {C : CoordinatorState} {m : Envelope Msg}
    (h : m.msg.era < C.era) : soupFits ⟨ls, [m]⟩ topo C = true := by
  first
  | simp [soupFits, h]
  | (unfold soupFits; simp [h])

/-- No message is of a later era than the coordinator's. -/
theorem soupFits_le {ls : Locals} {topo : Topology} {C : CoordinatorState} {m : Envelope Msg}
    (h : soupFits ⟨ls, [m]⟩ topo C = true) : m.msg.era ≤ C.era := by
  by_cases hlt : m.msg.era ≤ C.era
  · exact hlt
  · exfalso
    have h1 : decide (m.msg.era < C.era) = false := by
      simp only [decide_eq_false_iff_not]
      omega
    have h2 : (m.msg.era == C.era) = false := by
      simp only [beq_eq_false_iff_ne, ne_eq]
      omega
    simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, h1, h2, Bool.false_or, Bool.false_and] at h
    exact Bool.false_ne_true h

/-- While the coordinator is idle, every message is of an earlier era. -/
theorem soupFits_init_lt {ls : Locals} {topo : Topology} {C : CoordinatorState} {m : Envelope Msg}
    (hφ : C.phase = .init) (h : soupFits ⟨ls, [m]⟩ topo C = true) : m.msg.era < C.era := by
  have hle := soupFits_le h
  by_cases hlt : m.msg.era < C.era
  · exact hlt
  · exfalso
    have h1 : decide (m.msg.era < C.era) = false := by
      simp only [decide_eq_false_iff_not]
      exact hlt
    simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, h1, Bool.false_or, hφ, Bool.and_false] at h
    exact Bool.false_ne_true h

/-- A new `prepare` of the coordinator's era and data fits while it collects votes. -/
theorem soupFits_new_prepare {ls : Locals} {topo : Topology} {C : CoordinatorState} {m : Envelope Msg} {p : Prepare}
    (hk : phaseKey C.phase = (1, p.data)) (hmsg : m.msg = .prepare p) (hera : p.era = C.era) :
    soupFits ⟨ls, [m]⟩ topo C = true := by
  obtain ⟨e, φ, l⟩ := C
  change p.era = e at hera
  change phaseKey φ = (1, p.data) at hk
  cases φ <;> simp only [phaseKey, Prod.mk.injEq] at hk <;>
    simp_all [soupFits, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.era, Msg.data, CoordinatorPhase.data]

/-- A new `commit` of the coordinator's era fits while it commits. -/
theorem soupFits_new_commit {ls : Locals} {topo : Topology} {C : CoordinatorState} {m : Envelope Msg} {p : EraMessage}
    {d : Int} (hk : phaseKey C.phase = (2, d)) (hmsg : m.msg = .commit p) (hera : p.era = C.era) :
    soupFits ⟨ls, [m]⟩ topo C = true := by
  obtain ⟨e, φ, l⟩ := C
  change p.era = e at hera
  change phaseKey φ = (2, d) at hk
  cases φ <;> simp only [phaseKey, Prod.mk.injEq] at hk <;>
    simp_all [soupFits, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data, CoordinatorPhase.data]

/-- A new `abort` of the coordinator's era fits while it aborts. -/
theorem soupFits_new_abort {ls : Locals} {topo : Topology} {C : CoordinatorState} {m : Envelope Msg} {p : EraMessage}
    {d : Int} (hk : phaseKey C.phase = (3, d)) (hmsg : m.msg = .abort p) (hera : p.era = C.era) :
    soupFits ⟨ls, [m]⟩ topo C = true := by
  obtain ⟨e, φ, l⟩ := C
  change p.era = e at hera
  change phaseKey φ = (3, d) at hk
  cases φ <;> simp only [phaseKey, Prod.mk.injEq] at hk <;>
    simp_all [soupFits, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data, CoordinatorPhase.data]

/-- Moving from idle to collecting votes keeps every participant fitting. -/
theorem fits_of_init {C C' : CoordinatorState} {pt : ParticipantState} {D : Int}
    (hφ : C.phase = .init) (he : C'.era = C.era) (hl : C'.log = C.log) (hk : phaseKey C'.phase = (1, D))
    (h : participantFits C pt = true) : participantFits C' pt = true := by
  rw [participantFits_key (C := { C with phase := .sentPrepare D [] }) he hl (by rw [hk] <;> rfl)]
  simp only [participantFits, hφ, inEra, Bool.and_eq_true, Bool.or_eq_true] at h ⊢
  first
  | exact ⟨h.2, Or.inl h.1⟩
  | simp_all
  | grind

/-- Moving from collecting votes to committing keeps a participant that voted yes fitting. -/
theorem fits_votes_to_commit {C C' : CoordinatorState} {pt : ParticipantState} {d : Int} {vs : List Vote}
    (hφ : C.phase = .waitVotes d vs) (he : C'.era = C.era) (hl : C'.log = C.log) (hk : phaseKey C'.phase = (2, d))
    (hy : pt.phase.isVotedYes = true) (h : participantFits C pt = true) : participantFits C' pt = true := by
  rw [participantFits_key (C := { C with phase := .sentCommit d [] }) he hl (by rw [hk] <;> rfl)]
  simp only [participantFits, hφ, CoordinatorPhase.data, Bool.and_eq_true, Bool.or_eq_true, beq_iff_eq] at h ⊢
  cases hψ : pt.phase <;> simp only [hψ, ParticipantPhase.isVotedYes, Bool.false_eq_true] at hy
  first
  | (simp only [hψ, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes,
      ParticipantPhase.isVotedNo, ParticipantPhase.data, Bool.false_eq_true, Bool.or_false, Bool.false_or,
      false_or, or_false, true_and, and_true] at h ⊢
     exact Or.inl (Or.inl ⟨h.2, h.1⟩))
  | simp_all [inEra, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes,
      ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.data]
  | grind [ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes,
      ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.data]

/-- Moving from collecting votes to aborting keeps a participant that voted fitting. -/
theorem fits_votes_to_abort {C C' : CoordinatorState} {pt : ParticipantState} {d : Int} {vs : List Vote}
    (hφ : C.phase = .waitVotes d vs) (he : C'.era = C.era) (hl : C'.log = C.log) (hk : phaseKey C'.phase = (3, d))
    (hv : pt.phase.isVotedYes = true ∨ pt.phase.isVotedNo = true) (h : participantFits C pt = true) :
    participantFits C' pt = true := by
  rw [participantFits_key (C := { C with phase := .sentAbort d [] }) he hl (by rw [hk] <;> rfl)]
  simp only [participantFits, hφ, CoordinatorPhase.data, Bool.and_eq_true, Bool.or_eq_true, beq_iff_eq] at h ⊢
  cases hψ : pt.phase <;> simp only [hψ, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo,
    Bool.false_eq_true, or_self, or_false, false_or] at hv <;>
  first
  | simp_all [inEra, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes,
      ParticipantPhase.isVotedNo, ParticipantPhase.isAborted, ParticipantPhase.data]
  | grind [inEra, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes,
      ParticipantPhase.isVotedNo, ParticipantPhase.isAborted, ParticipantPhase.data]

/-- Moving from collecting votes to committing keeps every message fitting, when every participant
voted yes (so no `no` of the era is in the soup). -/
theorem soup_votes_to_commit {ls : Locals} {topo : Topology} {C C' : CoordinatorState} {m : Envelope Msg}
    {d : Int} {vs : List Vote}
    (hφ : C.phase = .waitVotes d vs) (he : C'.era = C.era) (hl : C'.log = C.log) (hk : phaseKey C'.phase = (2, d))
    (hY : ∀ q ∈ topo.participant, (ls.participant q).phase.isVotedYes = true)
    (h : soupFits ⟨ls, [m]⟩ topo C = true) : soupFits ⟨ls, [m]⟩ topo C' = true := by
  have hle := soupFits_le h
  rw [soupFits_key (C := { C with phase := .sentCommit d [] }) he hl (by rw [hk] <;> rfl)]
  cases hcs : topo.participant.contains m.src
  · clear hY
    cases hmsg : m.msg <;>
      simp_all [soupFits, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit,
        Msg.isAckAbort, Msg.era, Msg.data, CoordinatorPhase.data] <;>
      first | omega | grind
  · have hno : (ls.participant m.src).phase.isVotedNo = false :=
      votedYes_not_votedNo (hY m.src (List.contains_iff_mem.mp hcs))
    clear hY
    cases hmsg : m.msg <;>
      simp_all [soupFits, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit,
        Msg.isAckAbort, Msg.era, Msg.data, CoordinatorPhase.data] <;>
      first | omega | grind

/-- Moving from collecting votes to aborting keeps every message fitting. -/
theorem soup_votes_to_abort {ls : Locals} {topo : Topology} {C C' : CoordinatorState} {m : Envelope Msg}
    {d : Int} {vs : List Vote}
    (hφ : C.phase = .waitVotes d vs) (he : C'.era = C.era) (hl : C'.log = C.log) (hk : phaseKey C'.phase = (3, d))
    (h : soupFits ⟨ls, [m]⟩ topo C = true) : soupFits ⟨ls, [m]⟩ topo C' = true := by
  have hle := soupFits_le h
  rw [soupFits_key (C := { C with phase := .sentAbort d [] }) he hl (by rw [hk] <;> rfl)]
  cases hmsg : m.msg <;>
    simp_all [soupFits, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit,
      Msg.isAckAbort, Msg.era, Msg.data, CoordinatorPhase.data] <;>
    first | omega | grind

/-- A `yes` of the coordinator's era from a participant, while it collects votes, comes from a
participant that voted yes. -/
theorem yes_fits {ls : Locals} {topo : Topology} {C : CoordinatorState} {e : Envelope Msg} {m : EraMessage}
    {d : Int} {vs : List Vote}
    (hφ : C.phase = .waitVotes d vs) (hm : e.msg = .yes m) (hera : m.era = C.era)
    (h : soupFits ⟨ls, [e]⟩ topo C = true) (hcs : topo.participant.contains e.src = true) :
    (ls.participant e.src).phase.isVotedYes = true := by
  have hmem : e.src ∈ topo.participant := List.contains_iff_mem.mp hcs
  first
  | simpa [soupFits, hφ, hm, hera, hcs, hmem, Msg.era, Msg.isPrepare, Msg.isYes, Msg.isNo, CoordinatorPhase.data] using h
  | (simp [soupFits, hφ, hm, hera, hcs, hmem, Msg.era, Msg.isPrepare, Msg.isYes, Msg.isNo, CoordinatorPhase.data] at h
     exact h)

/-- A `no` of the coordinator's era from a participant, while it collects votes, comes from a
participant that voted no. -/
theorem no_fits {ls : Locals} {topo : Topology} {C : CoordinatorState} {e : Envelope Msg} {m : EraMessage}
    {d : Int} {vs : List Vote}
    (hφ : C.phase = .waitVotes d vs) (hm : e.msg = .no m) (hera : m.era = C.era)
    (h : soupFits ⟨ls, [e]⟩ topo C = true) (hcs : topo.participant.contains e.src = true) :
    (ls.participant e.src).phase.isVotedNo = true := by
  have hmem : e.src ∈ topo.participant := List.contains_iff_mem.mp hcs
  first
  | simpa [soupFits, hφ, hm, hera, hcs, hmem, Msg.era, Msg.isPrepare, Msg.isYes, Msg.isNo, CoordinatorPhase.data] using h
  | (simp [soupFits, hφ, hm, hera, hcs, hmem, Msg.era, Msg.isPrepare, Msg.isYes, Msg.isNo, CoordinatorPhase.data] at h
     exact h)

/-- Once every participant has voted, each participant has cast the vote the coordinator counted
(for a statelet). -/
theorem voted_of_allVoted' {topo : Topology} {C : CoordinatorState} {s : Statelet Locals Msg} {d : Int}
    {vs : List Vote} (hφ : C.phase = .waitVotes d vs) (hvotes : votesFit s topo C = true)
    (hall : allVoted topo.participant vs = true) :
    ∀ q ∈ topo.participant, ∃ v ∈ vs, v.node = q ∧
      (if v.yes then (s.locals.participant q).phase.isVotedYes else (s.locals.participant q).phase.isVotedNo) = true :=
  voted_of_allVoted (ls := s.locals) (soup := s.soup) hφ hvotes hall

/-- A step of the coordinator that posts a message keeps the invariant when its new state, of the
same era and log, fits. -/
theorem coord_post {topo : Topology} {c : Node} (hc : topo.coordinator = [c]) {s : Statelet Locals Msg}
    (h : tpcInv topo s = true) {to : Node} {msg : Msg} {C' : CoordinatorState}
    (he : C'.era = (s.locals.coordinator c).era) (hl : C'.log = (s.locals.coordinator c).log)
    (hpart : ∀ q ∈ topo.participant, participantFits C' (s.locals.participant q) = true)
    (hvotes : votesFit s topo C' = true) (hacked : ackedFit s topo C' = true)
    (hold : ∀ m ∈ s.soup, soupFits ⟨s.locals, [m]⟩ topo C' = true)
    (hnew : ∀ m : Envelope Msg, m.msg = msg → soupFits ⟨s.locals, [m]⟩ topo C' = true) :
    tpcInv topo ⟨{ s.locals with coordinator := update s.locals.coordinator c C' }, s.soup.post c to msg⟩ = true := by
  have hlen : (C'.log.length : Int) = C'.era := by
    rw [he, hl]
    exact ((tpcInv_iff hc s).mp h).1
  refine coordinator_step hc hlen hpart hvotes hacked ?_
  intro m hm
  simp only [Soup.post, List.mem_append, List.mem_singleton] at hm
  rcases hm with hm | hm
  · exact hold m hm
  · rw [hm]
    exact hnew _ rfl

/-- A step of the coordinator that consumes a message keeps the invariant when its new state fits. -/
theorem coord_consume {topo : Topology} {c : Node} (hc : topo.coordinator = [c]) {s : Statelet Locals Msg}
    {id : Nat} {C' : CoordinatorState}
    (hlen : (C'.log.length : Int) = C'.era)
    (hpart : ∀ q ∈ topo.participant, participantFits C' (s.locals.participant q) = true)
    (hvotes : votesFit s topo C' = true) (hacked : ackedFit s topo C' = true)
    (hold : ∀ m ∈ s.soup, soupFits ⟨s.locals, [m]⟩ topo C' = true) :
    tpcInv topo ⟨{ s.locals with coordinator := update s.locals.coordinator c C' }, s.soup.consume id⟩ = true := by
  refine coordinator_step hc hlen hpart hvotes hacked ?_
  intro m' hm'
  obtain ⟨m0, hm0, hmsg, hsrc⟩ := mem_consume hm'
  have h0 := hold m0 hm0
  simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true] at h0 ⊢
  rw [← hmsg, ← hsrc]
  exact h0

theorem cases_facts {S C : CoordinatorState} {φ₁ φ₂ : CoordinatorPhase}
    (h : S = { C with phase := φ₁ } ∨ S = { C with phase := φ₂ }) :
    S.era = C.era ∧ S.log = C.log ∧ (S.phase = φ₁ ∨ S.phase = φ₂) := by
  rcases h with rfl | rfl
  · exact ⟨rfl, rfl, Or.inl rfl⟩
  · exact ⟨rfl, rfl, Or.inr rfl⟩

theorem afterPrepare_cases (C : CoordinatorState) (d : Int) (sent ps : List Node) :
    afterPrepare C d sent ps = { C with phase := .waitVotes d [] } ∨
    afterPrepare C d sent ps = { C with phase := .sentPrepare d sent } := by
  unfold afterPrepare
  by_cases h : allListed ps sent = true
  · left
    first
    | rw [if_pos h]
    | simp [h]
  · right
    first
    | rw [if_neg h]
    | simp [h]

theorem afterCommit_cases (C : CoordinatorState) (d : Int) (sent ps : List Node) :
    afterCommit C d sent ps = { C with phase := .waitAckCommit d [] } ∨
    afterCommit C d sent ps = { C with phase := .sentCommit d sent } := by
  unfold afterCommit
  by_cases h : allListed ps sent = true
  · left
    first
    | rw [if_pos h]
    | simp [h]
  · right
    first
    | rw [if_neg h]
    | simp [h]

theorem afterAbort_cases (C : CoordinatorState) (d : Int) (sent ps : List Node) :
    afterAbort C d sent ps = { C with phase := .waitAckAbort d [] } ∨
    afterAbort C d sent ps = { C with phase := .sentAbort d sent } := by
  unfold afterAbort
  by_cases h : allListed ps sent = true
  · left
    first
    | rw [if_pos h]
    | simp [h]
  · right
    first
    | rw [if_neg h]
    | simp [h]

theorem sendPrepare_cases {C : CoordinatorState} {to : Node} {m : Prepare} {ctx : Ctx}
    (hpre : C.phase = .init ∨ ∃ sent, C.phase = .sentPrepare m.data sent) :
    ∃ sent', (sendPrepare_step C to m ctx = { C with phase := .waitVotes m.data [] } ∨
      sendPrepare_step C to m ctx = { C with phase := .sentPrepare m.data sent' }) := by
  obtain ⟨e, φ, l⟩ := C
  rcases hpre with hφ | ⟨sent, hφ⟩
  · change φ = .init at hφ
    subst hφ
    exact ⟨[to], afterPrepare_cases ⟨e, .init, l⟩ m.data [to] ctx.nodes.participant⟩
  · change φ = .sentPrepare m.data sent at hφ
    subst hφ
    exact ⟨sent ++ [to], afterPrepare_cases ⟨e, .sentPrepare m.data sent, l⟩ m.data (sent ++ [to]) ctx.nodes.participant⟩

theorem sendCommit_cases {C : CoordinatorState} {to : Node} {m : EraMessage} {ctx : Ctx} {d : Int}
    (hpre : (∃ vs, C.phase = .waitVotes d vs) ∨ ∃ sent, C.phase = .sentCommit d sent) :
    ∃ sent', (sendCommit_step C to m ctx = { C with phase := .waitAckCommit d [] } ∨
      sendCommit_step C to m ctx = { C with phase := .sentCommit d sent' }) := by
  obtain ⟨e, φ, l⟩ := C
  rcases hpre with ⟨vs, hφ⟩ | ⟨sent, hφ⟩
  · change φ = .waitVotes d vs at hφ
    subst hφ
    exact ⟨[to], afterCommit_cases ⟨e, .waitVotes d vs, l⟩ d [to] ctx.nodes.participant⟩
  · change φ = .sentCommit d sent at hφ
    subst hφ
    exact ⟨sent ++ [to], afterCommit_cases ⟨e, .sentCommit d sent, l⟩ d (sent ++ [to]) ctx.nodes.participant⟩

theorem sendAbort_cases {C : CoordinatorState} {to : Node} {m : EraMessage} {ctx : Ctx} {d : Int}
    (hpre : (∃ vs, C.phase = .waitVotes d vs) ∨ ∃ sent, C.phase = .sentAbort d sent) :
    ∃ sent', (sendAbort_step C to m ctx = { C with phase := .waitAckAbort d [] } ∨
      sendAbort_step C to m ctx = { C with phase := .sentAbort d sent' }) := by
  obtain ⟨e, φ, l⟩ := C
  rcases hpre with ⟨vs, hφ⟩ | ⟨sent, hφ⟩
  · change φ = .waitVotes d vs at hφ
    subst hφ
    exact ⟨[to], afterAbort_cases ⟨e, .waitVotes d vs, l⟩ d [to] ctx.nodes.participant⟩
  · change φ = .sentAbort d sent at hφ
    subst hφ
    exact ⟨sent ++ [to], afterAbort_cases ⟨e, .sentAbort d sent, l⟩ d (sent ++ [to]) ctx.nodes.participant⟩

theorem sendPrepare_step_log (C : CoordinatorState) (to : Node) (m : Prepare) (ctx : Ctx) :
    (sendPrepare_step C to m ctx).log = C.log := by
  obtain ⟨e, φ, l⟩ := C
  cases φ <;> rfl

theorem sendCommit_step_log (C : CoordinatorState) (to : Node) (m : EraMessage) (ctx : Ctx) :
    (sendCommit_step C to m ctx).log = C.log := by
  obtain ⟨e, φ, l⟩ := C
  cases φ <;> rfl

theorem sendAbort_step_log (C : CoordinatorState) (to : Node) (m : EraMessage) (ctx : Ctx) :
    (sendAbort_step C to m ctx).log = C.log := by
  obtain ⟨e, φ, l⟩ := C
  cases φ <;> rfl

theorem receiveYes_step_log (C : CoordinatorState) (src : Node) (m : EraMessage) (ctx : Ctx) :
    (receiveYes_step C src m ctx).log = C.log := by
  unfold receiveYes_step
  split <;> rfl

theorem receiveNo_step_log (C : CoordinatorState) (src : Node) (m : EraMessage) (ctx : Ctx) :
    (receiveNo_step C src m ctx).log = C.log := by
  unfold receiveNo_step
  split <;> rfl

/-- `sendPrepare` keeps the strengthened invariant. -/
theorem pres_sendPrepare {topo : Topology} {s : Statelet Locals Msg} {this to : Node} {m : Prepare}
    (hwf : wf topo) (h : tpcInv topo s = true) (hen : sendPrepare.enabled topo s.locals this to m = true) :
    tpcInv topo { locals := sendPrepare.next topo s.locals this to m, soup := s.soup.post this to (sendPrepare.inj m) } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hthis : this = c := by
    simp only [sendPrepare, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hen
    exact hen.1.1
  subst c
  have hinv := (tpcInv_iff hc s).mp h
  obtain ⟨hlen, hpart, hvotes, hacked, hsoup⟩ := hinv
  rw [soupFits_iff] at hsoup
  simp only [sendPrepare, sendPrepare_guard, Bool.and_eq_true, Bool.or_eq_true, Bool.not_eq_true',
    List.contains_iff_mem, beq_iff_eq] at hen
  obtain ⟨⟨-, hto⟩, hera, hg⟩ := hen
  have hpre : (s.locals.coordinator this).phase = .init ∨
      ∃ sent, (s.locals.coordinator this).phase = .sentPrepare m.data sent := by
    cases hφ : (s.locals.coordinator this).phase with
    | init => exact Or.inl rfl
    | sentPrepare d sent =>
      refine Or.inr ⟨sent, ?_⟩
      try rw [hφ] at hg
      have hd : d = m.data := by
        rcases hg with hg | ⟨⟨-, hg⟩, -⟩
        · simp [CoordinatorPhase.isInit] at hg
        · first
          | exact hg
          | simpa [CoordinatorPhase.data] using hg
      rw [hd]
    | _ =>
      try rw [hφ] at hg
      simp [CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare] at hg
  obtain ⟨sent', hC'⟩ := sendPrepare_cases (to := to) (ctx := { self := this, nodes := topo }) hpre
  obtain ⟨he, hl, hφ'⟩ := cases_facts hC'
  have hk : phaseKey (sendPrepare_step (s.locals.coordinator this) to m { self := this, nodes := topo }).phase = (1, m.data) := by
    rcases hφ' with h1 | h1 <;> rw [h1] <;> rfl
  simp only [sendPrepare]
  refine coord_post hc h he hl ?_ ?_ ?_ ?_ ?_
  · intro q hq
    rcases hpre with hφ | ⟨sent, hφ⟩
    · exact fits_of_init hφ he hl hk (hpart q hq)
    · exact participantFits_of_key he hl (by rw [hk, hφ] <;> rfl) (hpart q hq)
  · rcases hφ' with h1 | h1 <;> simp [votesFit, h1, CoordinatorPhase.votes]
  · rcases hφ' with h1 | h1 <;> simp [ackedFit, h1]
  · intro m0 hm0
    rcases hpre with hφ | ⟨sent, hφ⟩
    · apply soupFits_lt
      rw [he]
      exact soupFits_init_lt hφ (hsoup m0 hm0)
    · exact soupFits_of_key he hl (by rw [hk, hφ] <;> rfl) (hsoup m0 hm0)
  · intro m' hmsg
    exact soupFits_new_prepare hk hmsg (by rw [he]; exact hera)

/-- `sendCommit` keeps the strengthened invariant. -/
theorem pres_sendCommit {topo : Topology} {s : Statelet Locals Msg} {this to : Node} {m : EraMessage}
    (hwf : wf topo) (h : tpcInv topo s = true) (hen : sendCommit.enabled topo s.locals this to m = true) :
    tpcInv topo { locals := sendCommit.next topo s.locals this to m, soup := s.soup.post this to (sendCommit.inj m) } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hthis : this = c := by
    simp only [sendCommit, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hen
    exact hen.1.1
  subst c
  have hinv := (tpcInv_iff hc s).mp h
  obtain ⟨hlen, hpart, hvotes, hacked, hsoup⟩ := hinv
  rw [soupFits_iff] at hsoup
  simp only [sendCommit, sendCommit_guard, commitOnAnyYes, Bool.false_eq_true, ↓reduceIte, Bool.and_eq_true,
    Bool.or_eq_true, Bool.not_eq_true', List.contains_iff_mem, beq_iff_eq] at hen
  obtain ⟨⟨-, hto⟩, hera, hg⟩ := hen
  have hpre : (∃ d vs, (s.locals.coordinator this).phase = .waitVotes d vs ∧ allVoted topo.participant vs = true ∧
      vs.all (fun v => v.yes) = true) ∨ ∃ d sent, (s.locals.coordinator this).phase = .sentCommit d sent := by
    cases hφ : (s.locals.coordinator this).phase with
    | waitVotes d vs =>
      try rw [hφ] at hg
      left
      refine ⟨d, vs, rfl, ?_, ?_⟩
      · rcases hg with ⟨⟨-, hg⟩, -⟩ | ⟨hg, -⟩
        · exact hg
        · simp [CoordinatorPhase.isSentCommit] at hg
      · rcases hg with ⟨⟨-, -⟩, hg⟩ | ⟨hg, -⟩
        · exact hg
        · simp [CoordinatorPhase.isSentCommit] at hg
    | sentCommit d sent => exact Or.inr ⟨d, sent, rfl⟩
    | _ =>
      try rw [hφ] at hg
      simp [CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit] at hg
  simp only [sendCommit]
  rcases hpre with ⟨d, vs, hφ, hall, hyes⟩ | ⟨d, sent, hφ⟩
  · have hY : ∀ q ∈ topo.participant, (s.locals.participant q).phase.isVotedYes = true := by
      intro q hq
      obtain ⟨v, hv, hvq, hvv⟩ := voted_of_allVoted' hφ hvotes hall q hq
      have hvy : v.yes = true := by
        simp only [List.all_eq_true] at hyes
        exact hyes v hv
      simpa [hvy] using hvv
    obtain ⟨sent', hC'⟩ := sendCommit_cases (to := to) (m := m) (ctx := { self := this, nodes := topo })
      (Or.inl ⟨vs, hφ⟩)
    obtain ⟨he, hl, hφ'⟩ := cases_facts hC'
    have hk : phaseKey (sendCommit_step (s.locals.coordinator this) to m { self := this, nodes := topo }).phase = (2, d) := by
      rcases hφ' with h1 | h1 <;> rw [h1] <;> rfl
    refine coord_post hc h he hl ?_ ?_ ?_ ?_ ?_
    · intro q hq
      exact fits_votes_to_commit hφ he hl hk (hY q hq) (hpart q hq)
    · rcases hφ' with h1 | h1 <;> simp [votesFit, h1]
    · rcases hφ' with h1 | h1 <;> simp [ackedFit, h1, CoordinatorPhase.acked]
    · intro m0 hm0
      exact soup_votes_to_commit hφ he hl hk hY (hsoup m0 hm0)
    · intro m' hmsg
      exact soupFits_new_commit hk hmsg (by rw [he]; exact hera)
  · obtain ⟨sent', hC'⟩ := sendCommit_cases (to := to) (m := m) (ctx := { self := this, nodes := topo })
      (Or.inr ⟨sent, hφ⟩)
    obtain ⟨he, hl, hφ'⟩ := cases_facts hC'
    have hk : phaseKey (sendCommit_step (s.locals.coordinator this) to m { self := this, nodes := topo }).phase = (2, d) := by
      rcases hφ' with h1 | h1 <;> rw [h1] <;> rfl
    refine coord_post hc h he hl ?_ ?_ ?_ ?_ ?_
    · intro q hq
      exact participantFits_of_key he hl (by rw [hk, hφ] <;> rfl) (hpart q hq)
    · rcases hφ' with h1 | h1 <;> simp [votesFit, h1]
    · rcases hφ' with h1 | h1 <;> simp [ackedFit, h1, CoordinatorPhase.acked]
    · intro m0 hm0
      exact soupFits_of_key he hl (by rw [hk, hφ] <;> rfl) (hsoup m0 hm0)
    · intro m' hmsg
      exact soupFits_new_commit hk hmsg (by rw [he]; exact hera)

/-- `sendAbort` keeps the strengthened invariant. -/
theorem pres_sendAbort {topo : Topology} {s : Statelet Locals Msg} {this to : Node} {m : EraMessage}
    (hwf : wf topo) (h : tpcInv topo s = true) (hen : sendAbort.enabled topo s.locals this to m = true) :
    tpcInv topo { locals := sendAbort.next topo s.locals this to m, soup := s.soup.post this to (sendAbort.inj m) } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hthis : this = c := by
    simp only [sendAbort, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hen
    exact hen.1.1
  subst c
  have hinv := (tpcInv_iff hc s).mp h
  obtain ⟨hlen, hpart, hvotes, hacked, hsoup⟩ := hinv
  rw [soupFits_iff] at hsoup
  simp only [sendAbort, sendAbort_guard, commitOnAnyYes, Bool.false_eq_true, ↓reduceIte, Bool.and_eq_true,
    Bool.or_eq_true, Bool.not_eq_true', List.contains_iff_mem, beq_iff_eq] at hen
  obtain ⟨⟨-, hto⟩, hera, hg⟩ := hen
  have hpre : (∃ d vs, (s.locals.coordinator this).phase = .waitVotes d vs ∧ allVoted topo.participant vs = true) ∨
      ∃ d sent, (s.locals.coordinator this).phase = .sentAbort d sent := by
    cases hφ : (s.locals.coordinator this).phase with
    | waitVotes d vs =>
      try rw [hφ] at hg
      left
      refine ⟨d, vs, rfl, ?_⟩
      rcases hg with ⟨⟨-, hg⟩, -⟩ | ⟨hg, -⟩
      · exact hg
      · simp [CoordinatorPhase.isSentAbort] at hg
    | sentAbort d sent => exact Or.inr ⟨d, sent, rfl⟩
    | _ =>
      try rw [hφ] at hg
      simp [CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentAbort] at hg
  simp only [sendAbort]
  rcases hpre with ⟨d, vs, hφ, hall⟩ | ⟨d, sent, hφ⟩
  · have hV : ∀ q ∈ topo.participant, (s.locals.participant q).phase.isVotedYes = true ∨
        (s.locals.participant q).phase.isVotedNo = true := by
      intro q hq
      obtain ⟨v, hv, hvq, hvv⟩ := voted_of_allVoted' hφ hvotes hall q hq
      cases hvy : v.yes
      · right
        simpa [hvy] using hvv
      · left
        simpa [hvy] using hvv
    obtain ⟨sent', hC'⟩ := sendAbort_cases (to := to) (m := m) (ctx := { self := this, nodes := topo })
      (Or.inl ⟨vs, hφ⟩)
    obtain ⟨he, hl, hφ'⟩ := cases_facts hC'
    have hk : phaseKey (sendAbort_step (s.locals.coordinator this) to m { self := this, nodes := topo }).phase = (3, d) := by
      rcases hφ' with h1 | h1 <;> rw [h1] <;> rfl
    refine coord_post hc h he hl ?_ ?_ ?_ ?_ ?_
    · intro q hq
      exact fits_votes_to_abort hφ he hl hk (hV q hq) (hpart q hq)
    · rcases hφ' with h1 | h1 <;> simp [votesFit, h1]
    · rcases hφ' with h1 | h1 <;> simp [ackedFit, h1, CoordinatorPhase.acked]
    · intro m0 hm0
      exact soup_votes_to_abort hφ he hl hk (hsoup m0 hm0)
    · intro m' hmsg
      exact soupFits_new_abort hk hmsg (by rw [he]; exact hera)
  · obtain ⟨sent', hC'⟩ := sendAbort_cases (to := to) (m := m) (ctx := { self := this, nodes := topo })
      (Or.inr ⟨sent, hφ⟩)
    obtain ⟨he, hl, hφ'⟩ := cases_facts hC'
    have hk : phaseKey (sendAbort_step (s.locals.coordinator this) to m { self := this, nodes := topo }).phase = (3, d) := by
      rcases hφ' with h1 | h1 <;> rw [h1] <;> rfl
    refine coord_post hc h he hl ?_ ?_ ?_ ?_ ?_
    · intro q hq
      exact participantFits_of_key he hl (by rw [hk, hφ] <;> rfl) (hpart q hq)
    · rcases hφ' with h1 | h1 <;> simp [votesFit, h1]
    · rcases hφ' with h1 | h1 <;> simp [ackedFit, h1, CoordinatorPhase.acked]
    · intro m0 hm0
      exact soupFits_of_key he hl (by rw [hk, hφ] <;> rfl) (hsoup m0 hm0)
    · intro m' hmsg
      exact soupFits_new_abort hk hmsg (by rw [he]; exact hera)

/-- `receiveYes` keeps the strengthened invariant. -/
theorem pres_receiveYes {topo : Topology} {s : Statelet Locals Msg} {e : Envelope Msg} {m : EraMessage}
    (hwf : wf topo) (h : tpcInv topo s = true) (hin : e ∈ s.soup) (htag : receiveYes.payloadOf e.msg = some m)
    (hacc : receiveYes.accepts topo s.locals e.dst e.src m = true) :
    tpcInv topo { locals := receiveYes.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hinv := (tpcInv_iff hc s).mp h
  have he := ((soupFits_iff _ _ _).mp hinv.2.2.2.2) e hin
  have hm : e.msg = Msg.yes m := by
    simp only [receiveYes] at htag
    cases hmsg : e.msg <;> simp_all [Msg.asYes]
  simp only [receiveYes, receiveYes_accepts, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hacc
  obtain ⟨hdst, hph⟩ := hacc
  obtain ⟨hlen, hpart, hvotes, hacked, hsoup⟩ := hinv
  rw [soupFits_iff] at hsoup
  simp only [receiveYes, hdst]
  clear h
  unfold receiveYes_step
  split
  next hcond =>
    simp only [Bool.and_eq_true, beq_iff_eq, Bool.not_eq_true'] at hcond
    obtain ⟨⟨hwv, hera⟩, hnot⟩ := hcond
    cases hφ : (s.locals.coordinator c).phase with
    | waitVotes d vs =>
      simp only [hφ, CoordinatorPhase.withVotes, CoordinatorPhase.votes]
      refine coord_consume hc hlen ?_ ?_ ?_ ?_
      · intro q hq
        exact participantFits_of_key (by rfl) (by rfl) (by rw [hφ] <;> rfl) (hpart q hq)
      · have hv := hvotes
        simp only [votesFit, hφ, CoordinatorPhase.votes] at hv
        simp only [votesFit, CoordinatorPhase.votes, List.all_append, Bool.and_eq_true]
        refine ⟨hv, ?_⟩
        cases hcs : topo.participant.contains e.src
        · have hnm : e.src ∉ topo.participant := contains_false.mp hcs
          simp [hcs, hnm]
        · have hmem : e.src ∈ topo.participant := List.contains_iff_mem.mp hcs
          have hy := yes_fits hφ hm hera he hcs
          simp [hcs, hmem, hy]
      · simp [ackedFit]
      · intro m0 hm0
        exact soupFits_of_key (by rfl) (by rfl) (by rw [hφ] <;> rfl) (hsoup m0 hm0)
    | _ => simp [hφ, CoordinatorPhase.isWaitVotes] at hwv
  next =>
    exact coord_consume hc hlen hpart hvotes hacked hsoup

/-- `receiveNo` keeps the strengthened invariant. -/
theorem pres_receiveNo {topo : Topology} {s : Statelet Locals Msg} {e : Envelope Msg} {m : EraMessage}
    (hwf : wf topo) (h : tpcInv topo s = true) (hin : e ∈ s.soup) (htag : receiveNo.payloadOf e.msg = some m)
    (hacc : receiveNo.accepts topo s.locals e.dst e.src m = true) :
    tpcInv topo { locals := receiveNo.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hinv := (tpcInv_iff hc s).mp h
  have he := ((soupFits_iff _ _ _).mp hinv.2.2.2.2) e hin
  have hm : e.msg = Msg.no m := by
    simp only [receiveNo] at htag
    cases hmsg : e.msg <;> simp_all [Msg.asNo]
  simp only [receiveNo, receiveNo_accepts, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hacc
  obtain ⟨hdst, hph⟩ := hacc
  obtain ⟨hlen, hpart, hvotes, hacked, hsoup⟩ := hinv
  rw [soupFits_iff] at hsoup
  simp only [receiveNo, hdst]
  clear h
  unfold receiveNo_step
  split
  next hcond =>
    simp only [Bool.and_eq_true, beq_iff_eq, Bool.not_eq_true'] at hcond
    obtain ⟨⟨hwv, hera⟩, hnot⟩ := hcond
    cases hφ : (s.locals.coordinator c).phase with
    | waitVotes d vs =>
      simp only [hφ, CoordinatorPhase.withVotes, CoordinatorPhase.votes]
      refine coord_consume hc hlen ?_ ?_ ?_ ?_
      · intro q hq
        exact participantFits_of_key (by rfl) (by rfl) (by rw [hφ] <;> rfl) (hpart q hq)
      · have hv := hvotes
        simp only [votesFit, hφ, CoordinatorPhase.votes] at hv
        simp only [votesFit, CoordinatorPhase.votes, List.all_append, Bool.and_eq_true]
        refine ⟨hv, ?_⟩
        cases hcs : topo.participant.contains e.src
        · have hnm : e.src ∉ topo.participant := contains_false.mp hcs
          simp [hcs, hnm]
        · have hmem : e.src ∈ topo.participant := List.contains_iff_mem.mp hcs
          have hy := no_fits hφ hm hera he hcs
          simp [hcs, hmem, hy]
      · simp [ackedFit]
      · intro m0 hm0
        exact soupFits_of_key (by rfl) (by rfl) (by rw [hφ] <;> rfl) (hsoup m0 hm0)
    | _ => simp [hφ, CoordinatorPhase.isWaitVotes] at hwv
  next =>
    exact coord_consume hc hlen hpart hvotes hacked hsoup

theorem tpcInv_preserved_by_sendPrepare : PreservedBySend wf assumed tpcInv sendPrepare :=
  fun _ _ _ _ _ hwf ha hen => pres_sendPrepare hwf ha.2.2.2 hen

theorem logAgreement_preserved_by_sendPrepare : PreservedBySend wf assumed logAgreement sendPrepare :=
  fun _ _ _ _ _ hwf ha hen => logAgreement_of_tpcInv hwf (pres_sendPrepare hwf ha.2.2.2 hen)

theorem coordinatorAgreement_preserved_by_sendPrepare : PreservedBySend wf assumed coordinatorAgreement sendPrepare :=
  fun _ _ _ _ _ hwf ha hen => coordinatorAgreement_of_tpcInv hwf (pres_sendPrepare hwf ha.2.2.2 hen)

theorem tpcInv_preserved_by_sendCommit : PreservedBySend wf assumed tpcInv sendCommit :=
  fun _ _ _ _ _ hwf ha hen => pres_sendCommit hwf ha.2.2.2 hen

theorem logAgreement_preserved_by_sendCommit : PreservedBySend wf assumed logAgreement sendCommit :=
  fun _ _ _ _ _ hwf ha hen => logAgreement_of_tpcInv hwf (pres_sendCommit hwf ha.2.2.2 hen)

theorem coordinatorAgreement_preserved_by_sendCommit : PreservedBySend wf assumed coordinatorAgreement sendCommit :=
  fun _ _ _ _ _ hwf ha hen => coordinatorAgreement_of_tpcInv hwf (pres_sendCommit hwf ha.2.2.2 hen)

theorem tpcInv_preserved_by_sendAbort : PreservedBySend wf assumed tpcInv sendAbort :=
  fun _ _ _ _ _ hwf ha hen => pres_sendAbort hwf ha.2.2.2 hen

theorem logAgreement_preserved_by_sendAbort : PreservedBySend wf assumed logAgreement sendAbort :=
  fun _ _ _ _ _ hwf ha hen => logAgreement_of_tpcInv hwf (pres_sendAbort hwf ha.2.2.2 hen)

theorem coordinatorAgreement_preserved_by_sendAbort : PreservedBySend wf assumed coordinatorAgreement sendAbort :=
  fun _ _ _ _ _ hwf ha hen => coordinatorAgreement_of_tpcInv hwf (pres_sendAbort hwf ha.2.2.2 hen)

theorem tpcInv_preserved_by_receiveYes : PreservedByReceive wf assumed tpcInv receiveYes :=
  fun _ _ _ _ hwf ha hin _ htag hacc => pres_receiveYes hwf ha.2.2.2 hin htag hacc

theorem logAgreement_preserved_by_receiveYes : PreservedByReceive wf assumed logAgreement receiveYes :=
  fun _ _ _ _ hwf ha hin _ htag hacc => logAgreement_of_tpcInv hwf (pres_receiveYes hwf ha.2.2.2 hin htag hacc)

theorem coordinatorAgreement_preserved_by_receiveYes : PreservedByReceive wf assumed coordinatorAgreement receiveYes :=
  fun _ _ _ _ hwf ha hin _ htag hacc => coordinatorAgreement_of_tpcInv hwf (pres_receiveYes hwf ha.2.2.2 hin htag hacc)

theorem tpcInv_preserved_by_receiveNo : PreservedByReceive wf assumed tpcInv receiveNo :=
  fun _ _ _ _ hwf ha hin _ htag hacc => pres_receiveNo hwf ha.2.2.2 hin htag hacc

theorem logAgreement_preserved_by_receiveNo : PreservedByReceive wf assumed logAgreement receiveNo :=
  fun _ _ _ _ hwf ha hin _ htag hacc => logAgreement_of_tpcInv hwf (pres_receiveNo hwf ha.2.2.2 hin htag hacc)

theorem coordinatorAgreement_preserved_by_receiveNo : PreservedByReceive wf assumed coordinatorAgreement receiveNo :=
  fun _ _ _ _ hwf ha hin _ htag hacc => coordinatorAgreement_of_tpcInv hwf (pres_receiveNo hwf ha.2.2.2 hin htag hacc)

theorem commitValidity_preserved_by_sendPrepare : PreservedBySend wf assumed commitValidity sendPrepare := by
  intro topo s this to m hwf ha hen
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_sendPrepare hwf ha.2.2.2 hen)
  have hthis : this = c := by
    simp only [sendPrepare, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hen
    exact hen.1.1
  subst c
  simp only [sendPrepare, update_self, sendPrepare_step_log]
  refine coordLogValid_frame (soup := s.soup) (coordLogValid_of hc ha.2.1) ?_
  intro m' hm' hno
  rcases mem_post hm' with h | h
  · exact Or.inl h
  · rw [h.1] at hno
    cases hno

theorem commitValidity_preserved_by_sendCommit : PreservedBySend wf assumed commitValidity sendCommit := by
  intro topo s this to m hwf ha hen
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_sendCommit hwf ha.2.2.2 hen)
  have hthis : this = c := by
    simp only [sendCommit, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hen
    exact hen.1.1
  subst c
  simp only [sendCommit, update_self, sendCommit_step_log]
  refine coordLogValid_frame (soup := s.soup) (coordLogValid_of hc ha.2.1) ?_
  intro m' hm' hno
  rcases mem_post hm' with h | h
  · exact Or.inl h
  · rw [h.1] at hno
    cases hno

theorem commitValidity_preserved_by_sendAbort : PreservedBySend wf assumed commitValidity sendAbort := by
  intro topo s this to m hwf ha hen
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_sendAbort hwf ha.2.2.2 hen)
  have hthis : this = c := by
    simp only [sendAbort, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hen
    exact hen.1.1
  subst c
  simp only [sendAbort, update_self, sendAbort_step_log]
  refine coordLogValid_frame (soup := s.soup) (coordLogValid_of hc ha.2.1) ?_
  intro m' hm' hno
  rcases mem_post hm' with h | h
  · exact Or.inl h
  · rw [h.1] at hno
    cases hno

theorem commitValidity_preserved_by_receiveYes : PreservedByReceive wf assumed commitValidity receiveYes := by
  intro topo s e m hwf ha hin _ htag hacc
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_receiveYes hwf ha.2.2.2 hin htag hacc)
  have hdst : e.dst = c := by
    simp only [receiveYes, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hacc
    exact hacc.1
  simp only [receiveYes, hdst, update_self, receiveYes_step_log]
  exact coordLogValid_frame (soup := s.soup) (coordLogValid_of hc ha.2.1) (fun _ hm' _ => Or.inl (mem_consume hm'))

theorem commitValidity_preserved_by_receiveNo : PreservedByReceive wf assumed commitValidity receiveNo := by
  intro topo s e m hwf ha hin _ htag hacc
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_receiveNo hwf ha.2.2.2 hin htag hacc)
  have hdst : e.dst = c := by
    simp only [receiveNo, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hacc
    exact hacc.1
  simp only [receiveNo, hdst, update_self, receiveNo_step_log]
  exact coordLogValid_frame (soup := s.soup) (coordLogValid_of hc ha.2.1) (fun _ hm' _ => Or.inl (mem_consume hm'))

/-- A participant that got a prepare is in the coordinator's era. -/
theorem gotPrepare_era {C : CoordinatorState} {pt : ParticipantState} (h : participantFits C pt = true)
    (hg : pt.phase.isGotPrepare = true) : pt.era = C.era := by
  cases hψ : pt.phase <;> simp only [hψ, ParticipantPhase.isGotPrepare, Bool.false_eq_true] at hg
  cases hφ : C.phase <;>
    simp_all [participantFits, inEra, decided, movedOn, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare,
      ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted,
      ParticipantPhase.data]

theorem commitValidity_preserved_by_sendNo : PreservedBySend wf assumed commitValidity sendNo := by
  intro topo s this to m hwf ha hen
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_sendNo hwf ha.2.2.2 hen)
  have hinv := (tpcInv_iff hc s).mp ha.2.2.2
  simp only [sendNo, sendNo_guard, Bool.and_eq_true, List.contains_iff_mem, beq_iff_eq] at hen
  obtain ⟨⟨hp, -⟩, hg, hera⟩ := hen
  have hpe : (s.locals.participant this).era = (s.locals.coordinator c).era := gotPrepare_era (hinv.2.1 this hp) hg
  have hl := hinv.1
  refine coordLogValid_frame (soup := s.soup) (coordLogValid_of hc ha.2.1) ?_
  intro m' hm' hno
  rcases mem_post hm' with h | h
  · exact Or.inl h
  · right
    rw [h.1]
    show m.era ≥ ((s.locals.coordinator c).log.length : Int)
    omega

/-- `receiveAckCommit` keeps the strengthened invariant. -/
theorem pres_receiveAckCommit {topo : Topology} {s : Statelet Locals Msg} {e : Envelope Msg} {m : EraMessage}
    (hwf : wf topo) (h : tpcInv topo s = true) (hin : e ∈ s.soup) (htag : receiveAckCommit.payloadOf e.msg = some m)
    (hacc : receiveAckCommit.accepts topo s.locals e.dst e.src m = true) :
    tpcInv topo { locals := receiveAckCommit.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hinv := (tpcInv_iff hc s).mp h
  have he := ((soupFits_iff _ _ _).mp hinv.2.2.2.2) e hin
  have hm : e.msg = Msg.ackCommit m := by
    simp only [receiveAckCommit] at htag
    cases hmsg : e.msg <;> simp_all [Msg.asAckCommit]
  simp only [receiveAckCommit, receiveAckCommit_accepts, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hacc
  obtain ⟨hdst, hph⟩ := hacc
  obtain ⟨hlen, hpart, hvotes, hacked, hsoup⟩ := hinv
  rw [soupFits_iff] at hsoup
  simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, hm] at he
  simp only [receiveAckCommit, hdst]
  clear h
  unfold receiveAckCommit_step
  split
  next hcond =>
    simp only [Bool.and_eq_true, beq_iff_eq, Bool.not_eq_true'] at hcond
    obtain ⟨⟨hwa, hera⟩, hnot⟩ := hcond
    cases hφ : (s.locals.coordinator c).phase with
    | waitAckCommit d acked =>
      have hsrc : e.src ∈ topo.participant → movedOn (s.locals.coordinator c) true d (s.locals.participant e.src) = true := by
        intro hs
        clear hsoup hpart hvotes hacked
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, CoordinatorPhase.votes, CoordinatorPhase.acked, CoordinatorPhase.sent, CoordinatorPhase.withVotes, CoordinatorPhase.withAcked, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data, List.contains_iff_mem, contains_false]
      have hack := hacked
      simp only [ackedFit, hφ, CoordinatorPhase.acked, CoordinatorPhase.data, List.all_eq_true, Bool.or_eq_true,
        Bool.not_eq_true'] at hack
      simp only [hφ, CoordinatorPhase.data, CoordinatorPhase.acked]
      unfold afterAck
      split
      next hA =>
        have hmv : ∀ q ∈ topo.participant, movedOn (s.locals.coordinator c) true d (s.locals.participant q) = true := by
          simp only [allListed, List.all_eq_true, List.contains_iff_mem, List.mem_append, List.mem_singleton] at hA
          intro q hq
          rcases hA q hq with hqa | hqs
          · rcases hack q hqa with h1 | h1
            · rw [List.contains_iff_mem.mpr hq] at h1
              cases h1
            · exact h1
          · rw [hqs] at hq ⊢
            exact hsrc hq
        refine coordinator_step (ls := s.locals) hc ?_ ?_ ?_ ?_ ?_
        · simp only [List.length_append, List.length_singleton]
          omega
        · intro q hq
          have h1 := hmv q hq
          clear hsoup hvotes hacked hpart hmv hack hsrc
          simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, CoordinatorPhase.votes, CoordinatorPhase.acked, CoordinatorPhase.sent, CoordinatorPhase.withVotes, CoordinatorPhase.withAcked, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data]
        · simp [votesFit]
        · simp [ackedFit]
        · intro m' hm'
          obtain ⟨m0, hm0, hmsg, hsrc'⟩ := mem_consume hm'
          have hle := soupFits_le (hsoup m0 hm0)
          apply soupFits_lt
          rw [← hmsg]
          show m0.msg.era < (s.locals.coordinator c).era + 1
          omega
      next hA =>
        refine coordinator_step (ls := s.locals) hc hlen ?_ ?_ ?_ ?_
        · intro q hq
          have h1 := hpart q hq
          clear hsoup hvotes hacked hpart hack hsrc
          cases hψ : (s.locals.participant q).phase <;> simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, CoordinatorPhase.votes, CoordinatorPhase.acked, CoordinatorPhase.sent, CoordinatorPhase.withVotes, CoordinatorPhase.withAcked, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data]
        · simp [votesFit]
        · show ackedFit ⟨s.locals, s.soup.consume e.id⟩ topo
            { s.locals.coordinator c with phase := .waitAckCommit d (acked ++ [e.src]) } = true
          simp only [ackedFit, CoordinatorPhase.acked, CoordinatorPhase.data, List.all_append, List.all_cons,
            List.all_nil, Bool.and_true, Bool.and_eq_true, List.all_eq_true, Bool.or_eq_true, Bool.not_eq_true']
          refine ⟨fun n hn => ?_, ?_⟩
          · rcases hack n hn with h1 | h1
            · exact Or.inl h1
            · right
              simpa [movedOn] using h1
          · by_cases hs : e.src ∈ topo.participant
            · right
              simpa [movedOn] using hsrc hs
            · left
              exact contains_false.mpr hs
        · intro m' hm'
          obtain ⟨m0, hm0, hmsg, hsrc'⟩ := mem_consume hm'
          exact old_msg hmsg hsrc' (fun h0 => soupFits_of_key (by rfl) (by rfl) (by rw [hφ] <;> rfl) h0) (hsoup m0 hm0)
    | _ => simp [hφ, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, CoordinatorPhase.votes, CoordinatorPhase.acked, CoordinatorPhase.sent, CoordinatorPhase.withVotes, CoordinatorPhase.withAcked] at hwa
  next =>
    refine coordinator_step (ls := s.locals) hc hlen hpart hvotes hacked ?_
    intro m' hm'
    obtain ⟨m0, hm0, hmsg, hsrc⟩ := mem_consume hm'
    exact old_msg hmsg hsrc id (hsoup m0 hm0)


theorem tpcInv_preserved_by_receiveAckCommit : PreservedByReceive wf assumed tpcInv receiveAckCommit :=
  fun _ _ _ _ hwf ha hin _ htag hacc => pres_receiveAckCommit hwf ha.2.2.2 hin htag hacc

theorem logAgreement_preserved_by_receiveAckCommit : PreservedByReceive wf assumed logAgreement receiveAckCommit :=
  fun _ _ _ _ hwf ha hin _ htag hacc => logAgreement_of_tpcInv hwf (pres_receiveAckCommit hwf ha.2.2.2 hin htag hacc)

theorem coordinatorAgreement_preserved_by_receiveAckCommit : PreservedByReceive wf assumed coordinatorAgreement receiveAckCommit :=
  fun _ _ _ _ hwf ha hin _ htag hacc => coordinatorAgreement_of_tpcInv hwf (pres_receiveAckCommit hwf ha.2.2.2 hin htag hacc)

theorem commitValidity_preserved_by_receiveAckCommit : PreservedByReceive wf assumed commitValidity receiveAckCommit := by
  intro topo s e m hwf ha hin _ htag hacc
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_receiveAckCommit hwf ha.2.2.2 hin htag hacc)
  have hdst : e.dst = c := by
    simp only [receiveAckCommit, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hacc
    exact hacc.1
  have hold := coordLogValid_frame (soup' := s.soup.consume e.id) (coordLogValid_of hc ha.2.1)
    (fun _ hm' _ => Or.inl (mem_consume hm'))
  have hinv := (tpcInv_iff hc s).mp ha.2.2.2
  simp only [receiveAckCommit, hdst, update_self]
  unfold receiveAckCommit_step
  split
  next hcond =>
    simp only [Bool.and_eq_true] at hcond
    unfold afterAck
    split
    next =>
      apply coordLogValid_append hold
      intro _ m' hm' hnm
      obtain ⟨m0, hm0, hmsg, -⟩ := mem_consume hm'
      rw [← hmsg] at hnm
      exact noNo_commit hc ha.2.2.2 hcond.1.1 m0 hm0 ⟨hnm.1, by rw [hnm.2, hinv.1]⟩
    next => exact hold
  next => exact hold


/-- `receiveAckAbort` keeps the strengthened invariant. -/
theorem pres_receiveAckAbort {topo : Topology} {s : Statelet Locals Msg} {e : Envelope Msg} {m : EraMessage}
    (hwf : wf topo) (h : tpcInv topo s = true) (hin : e ∈ s.soup) (htag : receiveAckAbort.payloadOf e.msg = some m)
    (hacc : receiveAckAbort.accepts topo s.locals e.dst e.src m = true) :
    tpcInv topo { locals := receiveAckAbort.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id } = true := by
  obtain ⟨c, hc, hcP⟩ := wf_one hwf
  have hinv := (tpcInv_iff hc s).mp h
  have he := ((soupFits_iff _ _ _).mp hinv.2.2.2.2) e hin
  have hm : e.msg = Msg.ackAbort m := by
    simp only [receiveAckAbort] at htag
    cases hmsg : e.msg <;> simp_all [Msg.asAckAbort]
  simp only [receiveAckAbort, receiveAckAbort_accepts, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hacc
  obtain ⟨hdst, hph⟩ := hacc
  obtain ⟨hlen, hpart, hvotes, hacked, hsoup⟩ := hinv
  rw [soupFits_iff] at hsoup
  simp only [soupFits, List.all_cons, List.all_nil, Bool.and_true, hm] at he
  simp only [receiveAckAbort, hdst]
  clear h
  unfold receiveAckAbort_step
  split
  next hcond =>
    simp only [Bool.and_eq_true, beq_iff_eq, Bool.not_eq_true'] at hcond
    obtain ⟨⟨hwa, hera⟩, hnot⟩ := hcond
    cases hφ : (s.locals.coordinator c).phase with
    | waitAckAbort d acked =>
      have hsrc : e.src ∈ topo.participant → movedOn (s.locals.coordinator c) false d (s.locals.participant e.src) = true := by
        intro hs
        clear hsoup hpart hvotes hacked
        simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, CoordinatorPhase.votes, CoordinatorPhase.acked, CoordinatorPhase.sent, CoordinatorPhase.withVotes, CoordinatorPhase.withAcked, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data, Msg.isPrepare, Msg.isYes, Msg.isNo, Msg.isCommit, Msg.isAbort, Msg.isAckCommit, Msg.isAckAbort, Msg.era, Msg.data, List.contains_iff_mem, contains_false]
      have hack := hacked
      simp only [ackedFit, hφ, CoordinatorPhase.acked, CoordinatorPhase.data, List.all_eq_true, Bool.or_eq_true,
        Bool.not_eq_true'] at hack
      simp only [hφ, CoordinatorPhase.data, CoordinatorPhase.acked]
      unfold afterAck
      split
      next hA =>
        have hmv : ∀ q ∈ topo.participant, movedOn (s.locals.coordinator c) false d (s.locals.participant q) = true := by
          simp only [allListed, List.all_eq_true, List.contains_iff_mem, List.mem_append, List.mem_singleton] at hA
          intro q hq
          rcases hA q hq with hqa | hqs
          · rcases hack q hqa with h1 | h1
            · rw [List.contains_iff_mem.mpr hq] at h1
              cases h1
            · exact h1
          · rw [hqs] at hq ⊢
            exact hsrc hq
        refine coordinator_step (ls := s.locals) hc ?_ ?_ ?_ ?_ ?_
        · simp only [List.length_append, List.length_singleton]
          omega
        · intro q hq
          have h1 := hmv q hq
          clear hsoup hvotes hacked hpart hmv hack hsrc
          simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, CoordinatorPhase.votes, CoordinatorPhase.acked, CoordinatorPhase.sent, CoordinatorPhase.withVotes, CoordinatorPhase.withAcked, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data]
        · simp [votesFit]
        · simp [ackedFit]
        · intro m' hm'
          obtain ⟨m0, hm0, hmsg, hsrc'⟩ := mem_consume hm'
          have hle := soupFits_le (hsoup m0 hm0)
          apply soupFits_lt
          rw [← hmsg]
          show m0.msg.era < (s.locals.coordinator c).era + 1
          omega
      next hA =>
        refine coordinator_step (ls := s.locals) hc hlen ?_ ?_ ?_ ?_
        · intro q hq
          have h1 := hpart q hq
          clear hsoup hvotes hacked hpart hack hsrc
          cases hψ : (s.locals.participant q).phase <;> simp_all [participantFits, inEra, decided, movedOn, sameLog_iff, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, CoordinatorPhase.votes, CoordinatorPhase.acked, CoordinatorPhase.sent, CoordinatorPhase.withVotes, CoordinatorPhase.withAcked, ParticipantPhase.isInit, ParticipantPhase.isGotPrepare, ParticipantPhase.isVotedYes, ParticipantPhase.isVotedNo, ParticipantPhase.isCommitted, ParticipantPhase.isAborted, ParticipantPhase.data]
        · simp [votesFit]
        · show ackedFit ⟨s.locals, s.soup.consume e.id⟩ topo
            { s.locals.coordinator c with phase := .waitAckAbort d (acked ++ [e.src]) } = true
          simp only [ackedFit, CoordinatorPhase.acked, CoordinatorPhase.data, List.all_append, List.all_cons,
            List.all_nil, Bool.and_true, Bool.and_eq_true, List.all_eq_true, Bool.or_eq_true, Bool.not_eq_true']
          refine ⟨fun n hn => ?_, ?_⟩
          · rcases hack n hn with h1 | h1
            · exact Or.inl h1
            · right
              simpa [movedOn] using h1
          · by_cases hs : e.src ∈ topo.participant
            · right
              simpa [movedOn] using hsrc hs
            · left
              exact contains_false.mpr hs
        · intro m' hm'
          obtain ⟨m0, hm0, hmsg, hsrc'⟩ := mem_consume hm'
          exact old_msg hmsg hsrc' (fun h0 => soupFits_of_key (by rfl) (by rfl) (by rw [hφ] <;> rfl) h0) (hsoup m0 hm0)
    | _ => simp [hφ, CoordinatorPhase.isInit, CoordinatorPhase.isSentPrepare, CoordinatorPhase.isWaitVotes, CoordinatorPhase.isSentCommit, CoordinatorPhase.isSentAbort, CoordinatorPhase.isWaitAckCommit, CoordinatorPhase.isWaitAckAbort, CoordinatorPhase.data, CoordinatorPhase.votes, CoordinatorPhase.acked, CoordinatorPhase.sent, CoordinatorPhase.withVotes, CoordinatorPhase.withAcked] at hwa
  next =>
    refine coordinator_step (ls := s.locals) hc hlen hpart hvotes hacked ?_
    intro m' hm'
    obtain ⟨m0, hm0, hmsg, hsrc⟩ := mem_consume hm'
    exact old_msg hmsg hsrc id (hsoup m0 hm0)

theorem tpcInv_preserved_by_receiveAckAbort : PreservedByReceive wf assumed tpcInv receiveAckAbort :=
  fun _ _ _ _ hwf ha hin _ htag hacc => pres_receiveAckAbort hwf ha.2.2.2 hin htag hacc

theorem logAgreement_preserved_by_receiveAckAbort : PreservedByReceive wf assumed logAgreement receiveAckAbort :=
  fun _ _ _ _ hwf ha hin _ htag hacc => logAgreement_of_tpcInv hwf (pres_receiveAckAbort hwf ha.2.2.2 hin htag hacc)

theorem coordinatorAgreement_preserved_by_receiveAckAbort : PreservedByReceive wf assumed coordinatorAgreement receiveAckAbort :=
  fun _ _ _ _ hwf ha hin _ htag hacc => coordinatorAgreement_of_tpcInv hwf (pres_receiveAckAbort hwf ha.2.2.2 hin htag hacc)

theorem commitValidity_preserved_by_receiveAckAbort : PreservedByReceive wf assumed commitValidity receiveAckAbort := by
  intro topo s e m hwf ha hin _ htag hacc
  obtain ⟨c, hc, _⟩ := wf_one hwf
  apply commitValidity_of hc (pres_receiveAckAbort hwf ha.2.2.2 hin htag hacc)
  have hdst : e.dst = c := by
    simp only [receiveAckAbort, Bool.and_eq_true, List.contains_iff_mem, hc, List.mem_singleton] at hacc
    exact hacc.1
  have hold := coordLogValid_frame (soup' := s.soup.consume e.id) (coordLogValid_of hc ha.2.1)
    (fun _ hm' _ => Or.inl (mem_consume hm'))
  have hinv := (tpcInv_iff hc s).mp ha.2.2.2
  simp only [receiveAckAbort, hdst, update_self]
  unfold receiveAckAbort_step
  split
  next hcond =>
    simp only [Bool.and_eq_true] at hcond
    unfold afterAck
    split
    next =>
      apply coordLogValid_append hold
      intro hx
      cases hx
    next => exact hold
  next => exact hold

/-! ## Every reachable state -/

/-- The four invariants together are inductive: they hold initially and every transition keeps them. -/
theorem assumed_inductive : Inductive protocol wf assumed := by
  refine ⟨?_, ?_, ?_⟩
  · intro topo h_wf
    exact ⟨logAgreement_init topo h_wf, commitValidity_init topo h_wf, coordinatorAgreement_init topo h_wf,
      tpcInv_init topo h_wf⟩
  · intro t h_t topo s this to m h_wf h_assumed h_enabled
    simp only [protocol, List.mem_cons, List.not_mem_nil, or_false] at h_t
    rcases h_t with rfl | rfl | rfl | rfl | rfl | rfl | rfl
    · exact ⟨logAgreement_preserved_by_sendPrepare topo s this to m h_wf h_assumed h_enabled,
        commitValidity_preserved_by_sendPrepare topo s this to m h_wf h_assumed h_enabled,
        coordinatorAgreement_preserved_by_sendPrepare topo s this to m h_wf h_assumed h_enabled,
        tpcInv_preserved_by_sendPrepare topo s this to m h_wf h_assumed h_enabled⟩
    · exact ⟨logAgreement_preserved_by_sendYes topo s this to m h_wf h_assumed h_enabled,
        commitValidity_preserved_by_sendYes topo s this to m h_wf h_assumed h_enabled,
        coordinatorAgreement_preserved_by_sendYes topo s this to m h_wf h_assumed h_enabled,
        tpcInv_preserved_by_sendYes topo s this to m h_wf h_assumed h_enabled⟩
    · exact ⟨logAgreement_preserved_by_sendNo topo s this to m h_wf h_assumed h_enabled,
        commitValidity_preserved_by_sendNo topo s this to m h_wf h_assumed h_enabled,
        coordinatorAgreement_preserved_by_sendNo topo s this to m h_wf h_assumed h_enabled,
        tpcInv_preserved_by_sendNo topo s this to m h_wf h_assumed h_enabled⟩
    · exact ⟨logAgreement_preserved_by_sendCommit topo s this to m h_wf h_assumed h_enabled,
        commitValidity_preserved_by_sendCommit topo s this to m h_wf h_assumed h_enabled,
        coordinatorAgreement_preserved_by_sendCommit topo s this to m h_wf h_assumed h_enabled,
        tpcInv_preserved_by_sendCommit topo s this to m h_wf h_assumed h_enabled⟩
    · exact ⟨logAgreement_preserved_by_sendAbort topo s this to m h_wf h_assumed h_enabled,
        commitValidity_preserved_by_sendAbort topo s this to m h_wf h_assumed h_enabled,
        coordinatorAgreement_preserved_by_sendAbort topo s this to m h_wf h_assumed h_enabled,
        tpcInv_preserved_by_sendAbort topo s this to m h_wf h_assumed h_enabled⟩
    · exact ⟨logAgreement_preserved_by_sendAckCommit topo s this to m h_wf h_assumed h_enabled,
        commitValidity_preserved_by_sendAckCommit topo s this to m h_wf h_assumed h_enabled,
        coordinatorAgreement_preserved_by_sendAckCommit topo s this to m h_wf h_assumed h_enabled,
        tpcInv_preserved_by_sendAckCommit topo s this to m h_wf h_assumed h_enabled⟩
    · exact ⟨logAgreement_preserved_by_sendAckAbort topo s this to m h_wf h_assumed h_enabled,
        commitValidity_preserved_by_sendAckAbort topo s this to m h_wf h_assumed h_enabled,
        coordinatorAgreement_preserved_by_sendAckAbort topo s this to m h_wf h_assumed h_enabled,
        tpcInv_preserved_by_sendAckAbort topo s this to m h_wf h_assumed h_enabled⟩
  · intro t h_t topo s e m h_wf h_assumed h_in h_active h_tag h_accepts
    simp only [protocol, List.mem_cons, List.not_mem_nil, or_false] at h_t
    rcases h_t with rfl | rfl | rfl | rfl | rfl | rfl | rfl
    · exact ⟨logAgreement_preserved_by_receivePrepare topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        commitValidity_preserved_by_receivePrepare topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        coordinatorAgreement_preserved_by_receivePrepare topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        tpcInv_preserved_by_receivePrepare topo s e m h_wf h_assumed h_in h_active h_tag h_accepts⟩
    · exact ⟨logAgreement_preserved_by_receiveCommit topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        commitValidity_preserved_by_receiveCommit topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        coordinatorAgreement_preserved_by_receiveCommit topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        tpcInv_preserved_by_receiveCommit topo s e m h_wf h_assumed h_in h_active h_tag h_accepts⟩
    · exact ⟨logAgreement_preserved_by_receiveAbort topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        commitValidity_preserved_by_receiveAbort topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        coordinatorAgreement_preserved_by_receiveAbort topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        tpcInv_preserved_by_receiveAbort topo s e m h_wf h_assumed h_in h_active h_tag h_accepts⟩
    · exact ⟨logAgreement_preserved_by_receiveYes topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        commitValidity_preserved_by_receiveYes topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        coordinatorAgreement_preserved_by_receiveYes topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        tpcInv_preserved_by_receiveYes topo s e m h_wf h_assumed h_in h_active h_tag h_accepts⟩
    · exact ⟨logAgreement_preserved_by_receiveNo topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        commitValidity_preserved_by_receiveNo topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        coordinatorAgreement_preserved_by_receiveNo topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        tpcInv_preserved_by_receiveNo topo s e m h_wf h_assumed h_in h_active h_tag h_accepts⟩
    · exact ⟨logAgreement_preserved_by_receiveAckCommit topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        commitValidity_preserved_by_receiveAckCommit topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        coordinatorAgreement_preserved_by_receiveAckCommit topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        tpcInv_preserved_by_receiveAckCommit topo s e m h_wf h_assumed h_in h_active h_tag h_accepts⟩
    · exact ⟨logAgreement_preserved_by_receiveAckAbort topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        commitValidity_preserved_by_receiveAckAbort topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        coordinatorAgreement_preserved_by_receiveAckAbort topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        tpcInv_preserved_by_receiveAckAbort topo s e m h_wf h_assumed h_in h_active h_tag h_accepts⟩

/-- **Log agreement.** In every reachable state of Two-Phase Commit, on any well-formed topology
(one coordinator, any number of participants) and under any send-hooks of a world it runs in, any
two logs agree on every position both have. -/
theorem logAgreement_always (hooks : SendCondition Topology Locals Msg) (topo : Topology) (h_wf : wf topo)
    {s : Statelet Locals Msg} (h_reach : Reachable protocol hooks topo s) : logAgreement topo s = true :=
  (assumed_inductive.always hooks topo h_wf h_reach).1

/-- **Commit validity.** In every reachable state, no log holds a commit for an era in which some
participant voted no. -/
theorem commitValidity_always (hooks : SendCondition Topology Locals Msg) (topo : Topology) (h_wf : wf topo)
    {s : Statelet Locals Msg} (h_reach : Reachable protocol hooks topo s) : commitValidity topo s = true :=
  (assumed_inductive.always hooks topo h_wf h_reach).2.1

/-- **Coordinator agreement.** In every reachable state, while the coordinator is idle every
participant is idle in its era with its log. -/
theorem coordinatorAgreement_always (hooks : SendCondition Topology Locals Msg) (topo : Topology) (h_wf : wf topo)
    {s : Statelet Locals Msg} (h_reach : Reachable protocol hooks topo s) : coordinatorAgreement topo s = true :=
  (assumed_inductive.always hooks topo h_wf h_reach).2.2.1

/-- The strengthened invariant holds in every reachable state. -/
theorem tpcInv_always (hooks : SendCondition Topology Locals Msg) (topo : Topology) (h_wf : wf topo)
    {s : Statelet Locals Msg} (h_reach : Reachable protocol hooks topo s) : tpcInv topo s = true :=
  (assumed_inductive.always hooks topo h_wf h_reach).2.2.2

end TwoPhaseCommit

end
