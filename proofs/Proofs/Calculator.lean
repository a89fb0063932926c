import Generated.Calculator.Automatic
import Generated.Calculator.Open

/-!
# Calculator: Disel's specification in full

Hand-written, over the generated definitions (`Generated/Calculator/Spec.lean`). Coherence and the
four invariants together are inductive, so every reachable state satisfies each of them:

- `responseCorrect`: every response ever sent carries `f` of its arguments (Disel's `CalcInv`, the
  paper's Inv2);
- `pendingWellFormed`: every request a client waits on satisfies `prec` and names a server;
- `responsesAnswerRequests`: a server answers a client only for a request it received from that
  client, at most once per request (for every server, client and arguments: what it holds plus
  what it has answered is at most what it received);
- `clientsAwaitAnswers`: everything owed to a client (its requests and the answers in flight
  between it and a server, and what that server holds from it) is at most what it waits on from
  that server with those arguments; so every response in flight answers a pending request of its
  receiver, sent to its sender.

The tactic ladder proves the obligations of the first two (`Generated/Calculator/Automatic.lean`)
but those whose step removes an answered request with `removeFirst`; the obligations of the last
two count messages and requests, and are proved here, from what `removeFirst` removes (exactly
the first request of that peer with those arguments) and from how posting and consuming a message
change the counts.
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
  have h_pending := h_assumed.2.2.1
  simp only [pendingWellFormed, List.all_eq_true] at h_pending ⊢
  intro c h_c r h_r
  simp only [clientRecv, update] at h_r
  split at h_r
  next h_eq =>
    subst h_eq
    simp only [clientRecv_step] at h_r
    exact h_pending _ h_c r (mem_of_mem_removeFirst h_r)
  next => exact h_pending c h_c r h_r

/-! ## Arguments, lists and `removeFirst` -/

theorem sameArgs_iff (a b : List Int) : sameArgs a b = true ↔ a = b := by
  constructor
  · intro h
    simp only [sameArgs, Bool.and_eq_true, beq_iff_eq, List.all_eq_true] at h
    obtain ⟨hlen, hall⟩ := h
    apply List.ext_getElem hlen
    intro i h1 h2
    have hm : (a[i], i) ∈ a.zipIdx := List.mk_mem_zipIdx_iff_getElem?.mpr (by simp [h1])
    have := hall (a[i], i) hm
    simp only [beq_iff_eq] at this
    rw [this, List.getD_eq_getElem?_getD, List.getElem?_eq_getElem h2]
    rfl
  · rintro rfl
    simp only [sameArgs, Bool.and_eq_true, beq_iff_eq, List.all_eq_true, true_and]
    intro x hx
    obtain ⟨a1, i⟩ := x
    have := List.mk_mem_zipIdx_iff_getElem?.mp hx
    simp [List.getD_eq_getElem?_getD, this]

@[simp] theorem sameArgs_eq (a b : List Int) : sameArgs a b = decide (a = b) := by
  by_cases h : a = b
  · simp [h, (sameArgs_iff b b).mpr rfl]
  · have : sameArgs a b ≠ true := fun h' => h ((sameArgs_iff a b).mp h')
    simp [h]; simpa using this

theorem len_filter_append_single {α : Type} (l : List α) (x : α) (p : α → Bool) :
    ((l ++ [x]).filter p).length = (l.filter p).length + (if p x then 1 else 0) := by
  cases h : p x <;> simp [List.filter_append, h]

theorem len_filter_map_le {α : Type} (l : List α) (g : α → α) (p q : α → Bool)
    (h : ∀ x ∈ l, p x = true → q (g x) = true) : (l.filter p).length ≤ ((l.map g).filter q).length := by
  induction l with
  | nil => simp
  | cons a t ih =>
    have ih' := ih (fun x hx => h x (List.mem_cons_of_mem a hx))
    have ha := h a (by simp)
    simp only [List.map_cons, List.filter_cons]
    cases hp : p a <;> cases hq : q (g a) <;> simp_all <;> omega

theorem len_filter_map_lt {α : Type} (l : List α) (g : α → α) (p q : α → Bool)
    (h : ∀ x ∈ l, p x = true → q (g x) = true) {e : α} (he : e ∈ l) (hpe : p e = false) (hqe : q (g e) = true) :
    (l.filter p).length + 1 ≤ ((l.map g).filter q).length := by
  induction l with
  | nil => simp at he
  | cons a t ih =>
    have hmono := len_filter_map_le t g p q (fun x hx => h x (List.mem_cons_of_mem a hx))
    have ha := h a (by simp)
    simp only [List.map_cons, List.filter_cons]
    rcases List.mem_cons.mp he with rfl | he'
    · simp only [hpe, hqe]; simp; omega
    · have := ih (fun x hx => h x (List.mem_cons_of_mem a hx)) he'
      cases hp : p a <;> cases hq : q (g a) <;> simp_all <;> omega

theorem len_filter_map_ge {α : Type} (l : List α) (g : α → α) (p q : α → Bool)
    (h : ∀ x ∈ l, q (g x) = true → p x = true) : ((l.map g).filter q).length ≤ (l.filter p).length := by
  induction l with
  | nil => simp
  | cons a t ih =>
    have ih' := ih (fun x hx => h x (List.mem_cons_of_mem a hx))
    have ha := h a (by simp)
    simp only [List.map_cons, List.filter_cons]
    cases hp : p a <;> cases hq : q (g a) <;> simp_all <;> omega

theorem len_filter_map_gt {α : Type} (l : List α) (g : α → α) (p q : α → Bool)
    (h : ∀ x ∈ l, q (g x) = true → p x = true) {e : α} (he : e ∈ l) (hpe : p e = true) (hqe : q (g e) = false) :
    ((l.map g).filter q).length + 1 ≤ (l.filter p).length := by
  induction l with
  | nil => simp at he
  | cons a t ih =>
    have hmono := len_filter_map_ge t g p q (fun x hx => h x (List.mem_cons_of_mem a hx))
    have ha := h a (by simp)
    simp only [List.map_cons, List.filter_cons]
    rcases List.mem_cons.mp he with rfl | he'
    · simp only [hpe, hqe]; simp; omega
    · have := ih (fun x hx => h x (List.mem_cons_of_mem a hx)) he'
      cases hp : p a <;> cases hq : q (g a) <;> simp_all <;> omega

/-- `removeFirst` removes the first request of `peer` with `args`, if there is one, and nothing else. -/
theorem removeFirst_cases (l : List Pending) (peer : Node) (args : List Int) :
    (∃ l1 l2, l = l1 ++ { peer := peer, args := args } :: l2 ∧ removeFirst l peer args = l1 ++ l2) ∨
    ((∀ x ∈ l, ¬ (x.peer = peer ∧ x.args = args)) ∧ removeFirst l peer args = l) := by
  have hcases : (∃ k, l.findIdx? (fun p => (p.peer == peer) && (sameArgs p.args args)) = some k) ∨
      l.findIdx? (fun p => (p.peer == peer) && (sameArgs p.args args)) = none := by
    cases l.findIdx? (fun p => (p.peer == peer) && (sameArgs p.args args)) <;> simp
  rcases hcases with ⟨k, h⟩ | h
  · left
    have h1 : ¬ ((k : Int) < 0) := by omega
    have hri : removeFirst l peer args = Js.slice l 0 k ++ Js.sliceFrom l (k + 1) := by
      simp only [removeFirst, Js.findIndex, h]
      simp [h1]
    rw [List.findIdx?_eq_some_iff_getElem] at h
    obtain ⟨hk, hpk, _⟩ := h
    have hx : l[k] = { peer := peer, args := args } := by
      simp only [Bool.and_eq_true, beq_iff_eq, sameArgs_eq, decide_eq_true_eq] at hpk
      cases hl : l[k]
      simp_all
    refine ⟨l.take k, l.drop (k + 1), ?_, ?_⟩
    · rw [← hx, ← List.drop_eq_getElem_cons hk, List.take_append_drop]
    · have h2 : (k : Int).toNat = k := by omega
      have h3 : ((k : Int) + 1).toNat = k + 1 := by omega
      have h4 : ¬ ((k : Int) + 1 < 0) := by omega
      have h5 : k + 1 ≤ l.length := hk
      have h6 : k ≤ l.length := Nat.le_of_lt hk
      rw [hri]
      simp [h1, h4, Js.slice, Js.sliceFrom, Js.slicePosition, h2, h3, Nat.min_eq_left h5, Nat.min_eq_left h6]
  · right
    have hri : removeFirst l peer args = l := by
      simp only [removeFirst, Js.findIndex, h]
      simp
    rw [List.findIdx?_eq_none_iff] at h
    refine ⟨?_, hri⟩
    intro x hx ⟨h1, h2⟩
    have := h x hx
    simp [h1, h2] at this

/-- Counting by a predicate after `removeFirst`: one fewer when it removed a request the predicate counts. -/
theorem len_filter_removeFirst (l : List Pending) (peer : Node) (args : List Int) (p : Pending → Bool)
    (h : ∃ x ∈ l, x.peer = peer ∧ x.args = args) :
    ((removeFirst l peer args).filter p).length + (if p { peer := peer, args := args } then 1 else 0) = (l.filter p).length := by
  rcases removeFirst_cases l peer args with ⟨l1, l2, rfl, hr⟩ | ⟨hnone, _⟩
  · rw [hr]; cases hp : p { peer := peer, args := args } <;> simp [List.filter_append, List.filter_cons, hp] <;> omega
  · obtain ⟨x, hx, h1, h2⟩ := h
    exact absurd ⟨h1, h2⟩ (hnone x hx)


theorem mem_of_len_filter_ne {α : Type} {l : List α} {p : α → Bool} (h : (l.filter p).length ≠ 0) :
    ∃ x ∈ l, p x = true := by
  cases hl : l.filter p with
  | nil => simp [hl] at h
  | cons x t =>
    have hx : x ∈ l.filter p := by simp [hl]
    exact ⟨x, (List.mem_filter.mp hx).1, (List.mem_filter.mp hx).2⟩

theorem isReq_of_payload {e : Envelope Msg} {m : Request} (h : Msg.asReq e.msg = some m) : e.msg = Msg.req m := by
  cases hm : e.msg <;> simp_all [Msg.asReq]

theorem isResp_of_payload {e : Envelope Msg} {m : Response} (h : Msg.asResp e.msg = some m) : e.msg = Msg.resp m := by
  cases hm : e.msg <;> simp_all [Msg.asResp]

theorem isReq_false_of_isResp {msg : Msg} (h : msg.isResp = true) : msg.isReq = false := by
  cases msg <;> simp_all [Msg.isReq, Msg.isResp]

/-- How many requests of `c` with `a` a `pending` list holds (what `held` and `awaited` count). -/
def countKey (l : List Pending) (c : Node) (a : List Int) : Nat :=
  (l.filter (fun r => (r.peer == c) && (sameArgs r.args a))).length

theorem countKey_append (l : List Pending) (p : Node) (b : List Int) (c : Node) (a : List Int) :
    countKey (l ++ [{ peer := p, args := b }]) c a = countKey l c a + (if p = c ∧ b = a then 1 else 0) := by
  simp only [countKey, len_filter_append_single]
  congr 1
  by_cases h : p = c ∧ b = a <;> simp_all

theorem countKey_removeFirst (l : List Pending) (peer : Node) (args : List Int) (c : Node) (a : List Int)
    (h : ∃ x ∈ l, x.peer = peer ∧ x.args = args) :
    countKey (removeFirst l peer args) c a + (if peer = c ∧ args = a then 1 else 0) = countKey l c a := by
  have := len_filter_removeFirst l peer args (fun r => (r.peer == c) && (sameArgs r.args a)) h
  simp only [countKey]
  rw [← this]
  congr 1
  by_cases h : peer = c ∧ args = a <;> simp_all

theorem held_eq (s : Statelet Locals Msg) (sv c : Node) (a : List Int) :
    held s sv c a = countKey (s.locals.server sv).pending c a := rfl

theorem awaited_eq (s : Statelet Locals Msg) (c sv : Node) (a : List Int) :
    awaited s c sv a = countKey (s.locals.client c).pending sv a := rfl

/-! ## The counts, after each kind of step -/

section Counts

variable {s s' : Statelet Locals Msg}

theorem answered_post_req {x y : Node} {p : Request} (h : s'.soup = s.soup.post x y (Msg.req p)) (sv c : Node) (a : List Int) :
    answered s' sv c a = answered s sv c a := by
  simp [answered, h, Soup.post, len_filter_append_single, Msg.isResp]

theorem answered_post_resp {x y : Node} {p : Response} (h : s'.soup = s.soup.post x y (Msg.resp p)) (sv c : Node) (a : List Int) :
    answered s' sv c a = answered s sv c a + (if x = sv ∧ y = c ∧ p.args = a then 1 else 0) := by
  simp only [answered, h, Soup.post, len_filter_append_single]
  congr 1
  by_cases hc : x = sv ∧ y = c ∧ p.args = a <;> simp_all [Msg.isResp, Msg.args, and_assoc]

theorem received_post {x y : Node} {msg : Msg} (h : s'.soup = s.soup.post x y msg) (c sv : Node) (a : List Int) :
    received s' c sv a = received s c sv a := by
  simp [received, h, Soup.post, len_filter_append_single]

theorem inFlight_post_req {x y : Node} {p : Request} (h : s'.soup = s.soup.post x y (Msg.req p)) (c sv : Node) (a : List Int) :
    inFlight s' c sv a = inFlight s c sv a + (if x = c ∧ y = sv ∧ p.args = a then 1 else 0) := by
  simp only [inFlight, h, Soup.post, len_filter_append_single]
  congr 1
  by_cases hc : x = c ∧ y = sv ∧ p.args = a <;> simp_all [Msg.isResp, Msg.isReq, Msg.args, and_assoc]

theorem inFlight_post_resp {x y : Node} {p : Response} (h : s'.soup = s.soup.post x y (Msg.resp p)) (c sv : Node) (a : List Int) :
    inFlight s' c sv a = inFlight s c sv a + (if x = sv ∧ y = c ∧ p.args = a then 1 else 0) := by
  simp only [inFlight, h, Soup.post, len_filter_append_single]
  congr 1
  by_cases hc : x = sv ∧ y = c ∧ p.args = a <;> simp_all [Msg.isResp, Msg.isReq, Msg.args, and_assoc]

theorem answered_consume {id : Nat} (h : s'.soup = s.soup.consume id) (sv c : Node) (a : List Int) :
    answered s' sv c a = answered s sv c a := by
  simp only [answered, h, Soup.consume]
  apply Nat.le_antisymm
  · apply len_filter_map_ge; intro x _ hx; simpa using hx
  · apply len_filter_map_le; intro x _ hx; simpa using hx

theorem received_consume {id : Nat} (h : s'.soup = s.soup.consume id) (c sv : Node) (a : List Int) :
    received s c sv a ≤ received s' c sv a := by
  simp only [received, h, Soup.consume]
  apply len_filter_map_le; intro x _ hx; simp_all

theorem received_consume_self {e : Envelope Msg} (h : s'.soup = s.soup.consume e.id) (he : e ∈ s.soup) (ha : e.active = true)
    {p : Request} (hm : e.msg = Msg.req p) :
    received s e.src e.dst p.args + 1 ≤ received s' e.src e.dst p.args := by
  simp only [received, h, Soup.consume]
  exact len_filter_map_lt _ _ _ _ (fun x _ hx => by simp_all) he (by simp [ha]) (by simp [hm, Msg.isReq, Msg.args])

theorem inFlight_consume {id : Nat} (h : s'.soup = s.soup.consume id) (c sv : Node) (a : List Int) :
    inFlight s' c sv a ≤ inFlight s c sv a := by
  simp only [inFlight, h, Soup.consume]
  apply len_filter_map_ge; intro x _ hx; simp_all

theorem inFlight_consume_req {e : Envelope Msg} (h : s'.soup = s.soup.consume e.id) (he : e ∈ s.soup) (ha : e.active = true)
    {p : Request} (hm : e.msg = Msg.req p) :
    inFlight s' e.src e.dst p.args + 1 ≤ inFlight s e.src e.dst p.args := by
  simp only [inFlight, h, Soup.consume]
  exact len_filter_map_gt _ _ _ _ (fun x _ hx => by simp_all) he (by simp [ha, hm, Msg.isReq, Msg.args]) (by simp)

theorem inFlight_consume_resp {e : Envelope Msg} (h : s'.soup = s.soup.consume e.id) (he : e ∈ s.soup) (ha : e.active = true)
    {p : Response} (hm : e.msg = Msg.resp p) :
    inFlight s' e.dst e.src p.args + 1 ≤ inFlight s e.dst e.src p.args := by
  simp only [inFlight, h, Soup.consume]
  exact len_filter_map_gt _ _ _ _ (fun x _ hx => by simp_all) he (by simp [ha, hm, Msg.isReq, Msg.isResp, Msg.args]) (by simp)

theorem held_same {sv : Node} (h : s'.locals.server sv = s.locals.server sv) (c : Node) (a : List Int) :
    held s' sv c a = held s sv c a := by
  simp [held, h]

theorem awaited_same {c : Node} (h : s'.locals.client c = s.locals.client c) (sv : Node) (a : List Int) :
    awaited s' c sv a = awaited s c sv a := by
  simp [awaited, h]

end Counts

/-! ## The two properties, key by key -/

/-- `responsesAnswerRequests` for one server, client and arguments. -/
def AccAt (s : Statelet Locals Msg) (sv c : Node) (a : List Int) : Prop :=
  held s sv c a + answered s sv c a ≤ received s c sv a

/-- `clientsAwaitAnswers` for one client, server and arguments. -/
def AwAt (s : Statelet Locals Msg) (c sv : Node) (a : List Int) : Prop :=
  inFlight s c sv a + held s sv c a ≤ awaited s c sv a

/-- A key the property checks: one of a server's, or one of a response in the soup. -/
def RespKey (topo : Topology) (s : Statelet Locals Msg) (sv c : Node) (a : List Int) : Prop :=
  sv ∈ topo.server ∨ ∃ m ∈ s.soup, m.msg.isResp = true ∧ m.src = sv ∧ m.dst = c ∧ m.msg.args = a

/-- A key the property checks: one of a server's, or one of a message in the soup. -/
def MsgKey (topo : Topology) (s : Statelet Locals Msg) (c sv : Node) (a : List Int) : Prop :=
  sv ∈ topo.server ∨ ∃ m ∈ s.soup, ((m.msg.isReq = true ∧ m.src = c ∧ m.dst = sv) ∨ (m.msg.isReq = false ∧ m.dst = c ∧ m.src = sv)) ∧ m.msg.args = a

theorem acc_of {topo : Topology} {s : Statelet Locals Msg} (h : responsesAnswerRequests topo s = true) {sv c : Node} {a : List Int}
    (hk : RespKey topo s sv c a) : AccAt s sv c a := by
  simp only [responsesAnswerRequests, Bool.and_eq_true, List.all_eq_true] at h
  obtain ⟨h1, h2⟩ := h
  have of_msg : ∀ m ∈ s.soup, m.msg.isResp = true → m.src = sv → m.dst = c → m.msg.args = a → AccAt s sv c a := by
    intro m hm hr hs hd ha
    have := h2 m hm
    simp only [hr, Bool.not_true, Bool.false_or] at this
    subst hs hd ha
    simpa [accountable, AccAt] using this
  rcases hk with hsv | ⟨m, hm, hr, hs, hd, ha⟩
  · by_cases hh : held s sv c a = 0
    · by_cases hans : answered s sv c a = 0
      · simp [AccAt, hh, hans]
      · obtain ⟨m, hm, hp⟩ := mem_of_len_filter_ne hans
        simp only [Bool.and_eq_true, beq_iff_eq, sameArgs_eq, decide_eq_true_eq] at hp
        exact of_msg m hm hp.1.1.1 hp.1.1.2 hp.1.2 hp.2
    · obtain ⟨r, hr, hp⟩ := mem_of_len_filter_ne hh
      simp only [Bool.and_eq_true, beq_iff_eq, sameArgs_eq, decide_eq_true_eq] at hp
      have := h1 sv hsv r hr
      rw [hp.1, hp.2] at this
      simpa [accountable, AccAt] using this
  · exact of_msg m hm hr hs hd ha

theorem ra_of {topo : Topology} {s : Statelet Locals Msg} (h : ∀ sv c a, RespKey topo s sv c a → AccAt s sv c a) :
    responsesAnswerRequests topo s = true := by
  simp only [responsesAnswerRequests, Bool.and_eq_true, List.all_eq_true]
  refine ⟨fun sv hsv r _ => ?_, fun m hm => ?_⟩
  · simpa [accountable, AccAt] using h sv r.peer r.args (Or.inl hsv)
  · cases hr : m.msg.isResp
    · simp
    · have := h m.src m.dst m.msg.args (Or.inr ⟨m, hm, hr, rfl, rfl, rfl⟩)
      simpa [accountable, AccAt] using this

theorem aw_of {topo : Topology} {s : Statelet Locals Msg} (h : clientsAwaitAnswers topo s = true) {c sv : Node} {a : List Int}
    (hk : MsgKey topo s c sv a) : AwAt s c sv a := by
  simp only [clientsAwaitAnswers, Bool.and_eq_true, List.all_eq_true] at h
  obtain ⟨h1, h2⟩ := h
  have of_msg : ∀ m ∈ s.soup, ((m.msg.isReq = true ∧ m.src = c ∧ m.dst = sv) ∨ (m.msg.isReq = false ∧ m.dst = c ∧ m.src = sv)) →
      m.msg.args = a → AwAt s c sv a := by
    intro m hm hk ha
    have := h2 m hm
    rcases hk with ⟨hr, hs, hd⟩ | ⟨hr, hd, hs⟩
    · rw [if_pos hr] at this
      subst hs hd ha
      simpa [awaits, AwAt] using this
    · rw [if_neg (by simp [hr])] at this
      subst hs hd ha
      simpa [awaits, AwAt] using this
  rcases hk with hsv | ⟨m, hm, hk, ha⟩
  · by_cases hh : held s sv c a = 0
    · by_cases hi : inFlight s c sv a = 0
      · simp [AwAt, hh, hi]
      · obtain ⟨m, hm, hp⟩ := mem_of_len_filter_ne hi
        simp only [Bool.and_eq_true, Bool.or_eq_true, beq_iff_eq, sameArgs_eq, decide_eq_true_eq] at hp
        obtain ⟨⟨_, hp⟩, ha⟩ := hp
        rcases hp with ⟨⟨hr, hs⟩, hd⟩ | ⟨⟨hr, hs⟩, hd⟩
        · exact of_msg m hm (Or.inl ⟨hr, hs, hd⟩) ha
        · exact of_msg m hm (Or.inr ⟨isReq_false_of_isResp hr, hd, hs⟩) ha
    · obtain ⟨r, hr, hp⟩ := mem_of_len_filter_ne hh
      simp only [Bool.and_eq_true, beq_iff_eq, sameArgs_eq, decide_eq_true_eq] at hp
      have := h1 sv hsv r hr
      rw [hp.1, hp.2] at this
      simpa [awaits, AwAt] using this
  · exact of_msg m hm hk ha

theorem caa_of {topo : Topology} {s : Statelet Locals Msg} (h : ∀ c sv a, MsgKey topo s c sv a → AwAt s c sv a) :
    clientsAwaitAnswers topo s = true := by
  simp only [clientsAwaitAnswers, Bool.and_eq_true, List.all_eq_true]
  refine ⟨fun sv hsv r _ => ?_, fun m hm => ?_⟩
  · simpa [awaits, AwAt] using h r.peer sv r.args (Or.inl hsv)
  · cases hr : m.msg.isReq
    · have := h m.dst m.src m.msg.args (Or.inr ⟨m, hm, Or.inr ⟨hr, rfl, rfl⟩, rfl⟩)
      simpa [awaits, AwAt] using this
    · have := h m.src m.dst m.msg.args (Or.inr ⟨m, hm, Or.inl ⟨hr, rfl, rfl⟩, rfl⟩)
      simpa [awaits, AwAt] using this

/-- A message of a soup after a receive was a message before, with the same ends and payload. -/
theorem mem_consume {soup : Soup Msg} {id : Nat} {m : Envelope Msg} (h : m ∈ soup.consume id) :
    ∃ m0 ∈ soup, m0.src = m.src ∧ m0.dst = m.dst ∧ m0.msg = m.msg := by
  simp only [Soup.consume, List.mem_map] at h
  obtain ⟨m0, hm0, rfl⟩ := h
  exact ⟨m0, hm0, rfl, rfl, rfl⟩

theorem respKey_consume {topo : Topology} {s s' : Statelet Locals Msg} {id : Nat} (h : s'.soup = s.soup.consume id)
    {sv c : Node} {a : List Int} (hk : RespKey topo s' sv c a) : RespKey topo s sv c a := by
  rcases hk with hsv | ⟨m, hm, hr, hs, hd, ha⟩
  · exact Or.inl hsv
  · rw [h] at hm
    obtain ⟨m0, hm0, h1, h2, h3⟩ := mem_consume hm
    exact Or.inr ⟨m0, hm0, by rw [h3]; exact hr, by rw [h1]; exact hs, by rw [h2]; exact hd, by rw [h3]; exact ha⟩

theorem msgKey_consume {topo : Topology} {s s' : Statelet Locals Msg} {id : Nat} (h : s'.soup = s.soup.consume id)
    {c sv : Node} {a : List Int} (hk : MsgKey topo s' c sv a) : MsgKey topo s c sv a := by
  rcases hk with hsv | ⟨m, hm, hk, ha⟩
  · exact Or.inl hsv
  · rw [h] at hm
    obtain ⟨m0, hm0, h1, h2, h3⟩ := mem_consume hm
    refine Or.inr ⟨m0, hm0, ?_, by rw [h3]; exact ha⟩
    rw [h1, h2, h3]; exact hk

theorem respKey_post {topo : Topology} {s s' : Statelet Locals Msg} {x y : Node} {msg : Msg} (h : s'.soup = s.soup.post x y msg)
    {sv c : Node} {a : List Int} (hk : RespKey topo s' sv c a) :
    RespKey topo s sv c a ∨ (msg.isResp = true ∧ x = sv ∧ y = c ∧ msg.args = a) := by
  rcases hk with hsv | ⟨m, hm, hr, hs, hd, ha⟩
  · exact Or.inl (Or.inl hsv)
  · rw [h] at hm
    simp only [Soup.post, List.mem_append, List.mem_singleton] at hm
    rcases hm with hm | rfl
    · exact Or.inl (Or.inr ⟨m, hm, hr, hs, hd, ha⟩)
    · exact Or.inr ⟨hr, hs, hd, ha⟩

theorem msgKey_post {topo : Topology} {s s' : Statelet Locals Msg} {x y : Node} {msg : Msg} (h : s'.soup = s.soup.post x y msg)
    {c sv : Node} {a : List Int} (hk : MsgKey topo s' c sv a) :
    MsgKey topo s c sv a ∨ (((msg.isReq = true ∧ x = c ∧ y = sv) ∨ (msg.isReq = false ∧ y = c ∧ x = sv)) ∧ msg.args = a) := by
  rcases hk with hsv | ⟨m, hm, hk, ha⟩
  · exact Or.inl (Or.inl hsv)
  · rw [h] at hm
    simp only [Soup.post, List.mem_append, List.mem_singleton] at hm
    rcases hm with hm | rfl
    · exact Or.inl (Or.inr ⟨m, hm, hk, ha⟩)
    · exact Or.inr ⟨hk, ha⟩

/-! ## The obligations of `responsesAnswerRequests` and `clientsAwaitAnswers` -/

theorem responsesAnswerRequests_preserved_by_clientSend : PreservedBySend wf assumed responsesAnswerRequests clientSend := by
  intro topo s this to m _ h_assumed _
  generalize hs' : ({ locals := clientSend.next topo s.locals this to m, soup := s.soup.post this to (clientSend.inj m) } : Statelet Locals Msg) = s'
  have hsoup : s'.soup = s.soup.post this to (Msg.req m) := by subst hs'; rfl
  have hserver : s'.locals.server = s.locals.server := by subst hs'; rfl
  apply ra_of
  intro sv c a hk
  have pre : AccAt s sv c a := by
    rcases respKey_post hsoup hk with hk | ⟨hr, _⟩
    · exact acc_of h_assumed.2.2.2.1 hk
    · simp [Msg.isResp] at hr
  have hH := held_same (s := s) (s' := s') (sv := sv) (by rw [hserver]) c a
  have hA := answered_post_req hsoup sv c a
  have hR := received_post hsoup c sv a
  simp only [AccAt] at pre ⊢
  omega

theorem responsesAnswerRequests_preserved_by_serverRecv : PreservedByReceive wf assumed responsesAnswerRequests serverRecv := by
  intro topo s e m _ h_assumed h_in h_active h_tag h_accepts
  have hmsg : e.msg = Msg.req m := isReq_of_payload h_tag
  generalize hs' : ({ locals := serverRecv.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id } : Statelet Locals Msg) = s'
  have hsoup : s'.soup = s.soup.consume e.id := by subst hs'; rfl
  have hserver : s'.locals.server = update s.locals.server e.dst
      { pending := (s.locals.server e.dst).pending ++ [{ peer := e.src, args := m.args }] } := by subst hs'; rfl
  apply ra_of
  intro sv c a hk
  have pre : AccAt s sv c a := acc_of h_assumed.2.2.2.1 (respKey_consume hsoup hk)
  have hA := answered_consume hsoup sv c a
  have hR := received_consume hsoup c sv a
  simp only [AccAt] at pre ⊢
  by_cases hsv : sv = e.dst
  · subst hsv
    have hH : held s' e.dst c a = held s e.dst c a + (if e.src = c ∧ m.args = a then 1 else 0) := by
      simp only [held_eq, hserver, update_self]
      exact countKey_append _ _ _ _ _
    by_cases hkey : e.src = c ∧ m.args = a
    · obtain ⟨rfl, rfl⟩ := hkey
      have hR1 := received_consume_self hsoup h_in h_active hmsg
      rw [if_pos ⟨rfl, rfl⟩] at hH
      omega
    · rw [if_neg hkey] at hH
      omega
  · have hH : held s' sv c a = held s sv c a := by simp only [held_eq, hserver, update_other _ _ _ _ hsv]
    omega

theorem responsesAnswerRequests_preserved_by_serverSend : PreservedBySend wf assumed responsesAnswerRequests serverSend := by
  intro topo s this to m _ h_assumed h_enabled
  obtain ⟨h_this, p, hp, hpeer, hargs⟩ : this ∈ topo.server ∧ ∃ p ∈ (s.locals.server this).pending, p.peer = to ∧ p.args = m.args := by
    simp [serverSend, serverSend_guard, checkResponses] at h_enabled
    first
      | exact ⟨h_enabled.1.1, h_enabled.2.1⟩
      | exact ⟨h_enabled.1, h_enabled.2.2.1⟩
      | exact ⟨h_enabled.1, h_enabled.2.1⟩
      | grind
  generalize hs' : ({ locals := serverSend.next topo s.locals this to m, soup := s.soup.post this to (serverSend.inj m) } : Statelet Locals Msg) = s'
  have hsoup : s'.soup = s.soup.post this to (Msg.resp m) := by subst hs'; rfl
  have hserver : s'.locals.server = update s.locals.server this { pending := removeFirst (s.locals.server this).pending to m.args } := by
    subst hs'; rfl
  apply ra_of
  intro sv c a hk
  have pre : AccAt s sv c a := by
    rcases respKey_post hsoup hk with hk | ⟨_, hx, _, _⟩
    · exact acc_of h_assumed.2.2.2.1 hk
    · exact acc_of h_assumed.2.2.2.1 (Or.inl (hx ▸ h_this))
  have hA := answered_post_resp hsoup sv c a
  have hR := received_post hsoup c sv a
  simp only [AccAt] at pre ⊢
  by_cases hsv : sv = this
  · subst hsv
    have hH := countKey_removeFirst (s.locals.server sv).pending to m.args c a ⟨p, hp, hpeer, hargs⟩
    have hH' : held s' sv c a = countKey (removeFirst (s.locals.server sv).pending to m.args) c a := by
      simp only [held_eq, hserver, update_self]
    have hH0 : held s sv c a = countKey (s.locals.server sv).pending c a := rfl
    by_cases hkey : to = c ∧ m.args = a
    · rw [if_pos hkey] at hH
      rw [if_pos ⟨rfl, hkey.1, hkey.2⟩] at hA
      omega
    · rw [if_neg hkey] at hH
      rw [if_neg (fun h => hkey ⟨h.2.1, h.2.2⟩)] at hA
      omega
  · have hH : held s' sv c a = held s sv c a := by simp only [held_eq, hserver, update_other _ _ _ _ hsv]
    rw [if_neg (fun h => hsv h.1.symm)] at hA
    omega

theorem responsesAnswerRequests_preserved_by_clientRecv : PreservedByReceive wf assumed responsesAnswerRequests clientRecv := by
  intro topo s e m _ h_assumed h_in h_active h_tag h_accepts
  generalize hs' : ({ locals := clientRecv.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id } : Statelet Locals Msg) = s'
  have hsoup : s'.soup = s.soup.consume e.id := by subst hs'; rfl
  have hserver : s'.locals.server = s.locals.server := by subst hs'; rfl
  apply ra_of
  intro sv c a hk
  have pre : AccAt s sv c a := acc_of h_assumed.2.2.2.1 (respKey_consume hsoup hk)
  have hH := held_same (s := s) (s' := s') (sv := sv) (by rw [hserver]) c a
  have hA := answered_consume hsoup sv c a
  have hR := received_consume hsoup c sv a
  simp only [AccAt] at pre ⊢
  omega

theorem clientsAwaitAnswers_preserved_by_clientSend : PreservedBySend wf assumed clientsAwaitAnswers clientSend := by
  intro topo s this to m _ h_assumed h_enabled
  have h_to : to ∈ topo.server := by
    simp [clientSend] at h_enabled
    first | exact h_enabled.1.2 | exact h_enabled.2.1 | grind
  generalize hs' : ({ locals := clientSend.next topo s.locals this to m, soup := s.soup.post this to (clientSend.inj m) } : Statelet Locals Msg) = s'
  have hsoup : s'.soup = s.soup.post this to (Msg.req m) := by subst hs'; rfl
  have hserver : s'.locals.server = s.locals.server := by subst hs'; rfl
  have hclient : s'.locals.client = update s.locals.client this
      { pending := (s.locals.client this).pending ++ [{ peer := to, args := m.args }] } := by subst hs'; rfl
  apply caa_of
  intro c sv a hk
  have pre : AwAt s c sv a := by
    rcases msgKey_post hsoup hk with hk | ⟨hk, _⟩
    · exact aw_of h_assumed.2.2.2.2 hk
    · rcases hk with ⟨_, _, hy⟩ | ⟨hr, _, _⟩
      · exact aw_of h_assumed.2.2.2.2 (Or.inl (hy ▸ h_to))
      · simp [Msg.isReq] at hr
  have hH := held_same (s := s) (s' := s') (sv := sv) (by rw [hserver]) c a
  have hI := inFlight_post_req hsoup c sv a
  simp only [AwAt] at pre ⊢
  by_cases hc : c = this
  · subst hc
    have hW : awaited s' c sv a = awaited s c sv a + (if to = sv ∧ m.args = a then 1 else 0) := by
      simp only [awaited_eq, hclient, update_self]
      exact countKey_append _ _ _ _ _
    by_cases hkey : to = sv ∧ m.args = a
    · rw [if_pos hkey] at hW
      rw [if_pos ⟨rfl, hkey.1, hkey.2⟩] at hI
      omega
    · rw [if_neg hkey] at hW
      rw [if_neg (fun h => hkey ⟨h.2.1, h.2.2⟩)] at hI
      omega
  · have hW : awaited s' c sv a = awaited s c sv a := by simp only [awaited_eq, hclient, update_other _ _ _ _ hc]
    rw [if_neg (fun h => hc h.1.symm)] at hI
    omega

theorem clientsAwaitAnswers_preserved_by_serverRecv : PreservedByReceive wf assumed clientsAwaitAnswers serverRecv := by
  intro topo s e m _ h_assumed h_in h_active h_tag h_accepts
  have hmsg : e.msg = Msg.req m := isReq_of_payload h_tag
  generalize hs' : ({ locals := serverRecv.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id } : Statelet Locals Msg) = s'
  have hsoup : s'.soup = s.soup.consume e.id := by subst hs'; rfl
  have hclient : s'.locals.client = s.locals.client := by subst hs'; rfl
  have hserver : s'.locals.server = update s.locals.server e.dst
      { pending := (s.locals.server e.dst).pending ++ [{ peer := e.src, args := m.args }] } := by subst hs'; rfl
  apply caa_of
  intro c sv a hk
  have pre : AwAt s c sv a := aw_of h_assumed.2.2.2.2 (msgKey_consume hsoup hk)
  have hW := awaited_same (s := s) (s' := s') (c := c) (by rw [hclient]) sv a
  have hI := inFlight_consume hsoup c sv a
  simp only [AwAt] at pre ⊢
  by_cases hsv : sv = e.dst
  · subst hsv
    have hH : held s' e.dst c a = held s e.dst c a + (if e.src = c ∧ m.args = a then 1 else 0) := by
      simp only [held_eq, hserver, update_self]
      exact countKey_append _ _ _ _ _
    by_cases hkey : e.src = c ∧ m.args = a
    · obtain ⟨rfl, rfl⟩ := hkey
      have hI1 := inFlight_consume_req hsoup h_in h_active hmsg
      rw [if_pos ⟨rfl, rfl⟩] at hH
      omega
    · rw [if_neg hkey] at hH
      omega
  · have hH : held s' sv c a = held s sv c a := by simp only [held_eq, hserver, update_other _ _ _ _ hsv]
    omega

theorem clientsAwaitAnswers_preserved_by_serverSend : PreservedBySend wf assumed clientsAwaitAnswers serverSend := by
  intro topo s this to m _ h_assumed h_enabled
  obtain ⟨h_this, p, hp, hpeer, hargs⟩ : this ∈ topo.server ∧ ∃ p ∈ (s.locals.server this).pending, p.peer = to ∧ p.args = m.args := by
    simp [serverSend, serverSend_guard, checkResponses] at h_enabled
    first
      | exact ⟨h_enabled.1.1, h_enabled.2.1⟩
      | exact ⟨h_enabled.1, h_enabled.2.2.1⟩
      | exact ⟨h_enabled.1, h_enabled.2.1⟩
      | grind
  generalize hs' : ({ locals := serverSend.next topo s.locals this to m, soup := s.soup.post this to (serverSend.inj m) } : Statelet Locals Msg) = s'
  have hsoup : s'.soup = s.soup.post this to (Msg.resp m) := by subst hs'; rfl
  have hclient : s'.locals.client = s.locals.client := by subst hs'; rfl
  have hserver : s'.locals.server = update s.locals.server this { pending := removeFirst (s.locals.server this).pending to m.args } := by
    subst hs'; rfl
  apply caa_of
  intro c sv a hk
  have pre : AwAt s c sv a := by
    rcases msgKey_post hsoup hk with hk | ⟨hk, _⟩
    · exact aw_of h_assumed.2.2.2.2 hk
    · rcases hk with ⟨hr, _, _⟩ | ⟨_, _, hx⟩
      · simp [Msg.isReq] at hr
      · exact aw_of h_assumed.2.2.2.2 (Or.inl (hx ▸ h_this))
  have hW := awaited_same (s := s) (s' := s') (c := c) (by rw [hclient]) sv a
  have hI := inFlight_post_resp hsoup c sv a
  simp only [AwAt] at pre ⊢
  by_cases hsv : sv = this
  · subst hsv
    have hH := countKey_removeFirst (s.locals.server sv).pending to m.args c a ⟨p, hp, hpeer, hargs⟩
    have hH' : held s' sv c a = countKey (removeFirst (s.locals.server sv).pending to m.args) c a := by
      simp only [held_eq, hserver, update_self]
    have hH0 : held s sv c a = countKey (s.locals.server sv).pending c a := rfl
    by_cases hkey : to = c ∧ m.args = a
    · rw [if_pos hkey] at hH
      rw [if_pos ⟨rfl, hkey.1, hkey.2⟩] at hI
      omega
    · rw [if_neg hkey] at hH
      rw [if_neg (fun h => hkey ⟨h.2.1, h.2.2⟩)] at hI
      omega
  · have hH : held s' sv c a = held s sv c a := by simp only [held_eq, hserver, update_other _ _ _ _ hsv]
    rw [if_neg (fun h => hsv h.1.symm)] at hI
    omega

theorem clientsAwaitAnswers_preserved_by_clientRecv : PreservedByReceive wf assumed clientsAwaitAnswers clientRecv := by
  intro topo s e m _ h_assumed h_in h_active h_tag h_accepts
  have hmsg : e.msg = Msg.resp m := isResp_of_payload h_tag
  obtain ⟨p, hp, hpeer, hargs⟩ : ∃ p ∈ (s.locals.client e.dst).pending, p.peer = e.src ∧ p.args = m.args := by
    simp [clientRecv, clientRecv_accepts] at h_accepts
    first | exact h_accepts.2 | grind
  generalize hs' : ({ locals := clientRecv.next topo s.locals e.dst e.src m, soup := s.soup.consume e.id } : Statelet Locals Msg) = s'
  have hsoup : s'.soup = s.soup.consume e.id := by subst hs'; rfl
  have hserver : s'.locals.server = s.locals.server := by subst hs'; rfl
  have hclient : s'.locals.client = update s.locals.client e.dst
      { pending := removeFirst (s.locals.client e.dst).pending e.src m.args } := by subst hs'; rfl
  apply caa_of
  intro c sv a hk
  have pre : AwAt s c sv a := aw_of h_assumed.2.2.2.2 (msgKey_consume hsoup hk)
  have hH := held_same (s := s) (s' := s') (sv := sv) (by rw [hserver]) c a
  have hI := inFlight_consume hsoup c sv a
  simp only [AwAt] at pre ⊢
  by_cases hc : c = e.dst
  · subst hc
    have hW := countKey_removeFirst (s.locals.client e.dst).pending e.src m.args sv a ⟨p, hp, hpeer, hargs⟩
    have hW' : awaited s' e.dst sv a = countKey (removeFirst (s.locals.client e.dst).pending e.src m.args) sv a := by
      simp only [awaited_eq, hclient, update_self]
    have hW0 : awaited s e.dst sv a = countKey (s.locals.client e.dst).pending sv a := rfl
    by_cases hkey : e.src = sv ∧ m.args = a
    · obtain ⟨rfl, rfl⟩ := hkey
      have hI1 := inFlight_consume_resp hsoup h_in h_active hmsg
      rw [if_pos ⟨rfl, rfl⟩] at hW
      omega
    · rw [if_neg hkey] at hW
      omega
  · have hW : awaited s' c sv a = awaited s c sv a := by simp only [awaited_eq, hclient, update_other _ _ _ _ hc]
    omega

/-! ## Every reachable state -/

/-- Coherence and the four invariants together are an inductive invariant of the Calculator. -/
theorem assumed_inductive : Inductive protocol wf assumed := by
  refine ⟨?_, ?_, ?_⟩
  · intro topo h_wf
    exact ⟨coherence_init topo h_wf, responseCorrect_init topo h_wf, pendingWellFormed_init topo h_wf,
      responsesAnswerRequests_init topo h_wf, clientsAwaitAnswers_init topo h_wf⟩
  · intro t h_t topo s this to m h_wf h_assumed h_enabled
    simp only [protocol, List.mem_cons, List.not_mem_nil, or_false] at h_t
    rcases h_t with rfl | rfl
    · exact ⟨coherence_preserved_by_clientSend topo s this to m h_wf h_assumed h_enabled,
        responseCorrect_preserved_by_clientSend topo s this to m h_wf h_assumed h_enabled,
        pendingWellFormed_preserved_by_clientSend topo s this to m h_wf h_assumed h_enabled,
        responsesAnswerRequests_preserved_by_clientSend topo s this to m h_wf h_assumed h_enabled,
        clientsAwaitAnswers_preserved_by_clientSend topo s this to m h_wf h_assumed h_enabled⟩
    · exact ⟨coherence_preserved_by_serverSend topo s this to m h_wf h_assumed h_enabled,
        responseCorrect_preserved_by_serverSend topo s this to m h_wf h_assumed h_enabled,
        pendingWellFormed_preserved_by_serverSend topo s this to m h_wf h_assumed h_enabled,
        responsesAnswerRequests_preserved_by_serverSend topo s this to m h_wf h_assumed h_enabled,
        clientsAwaitAnswers_preserved_by_serverSend topo s this to m h_wf h_assumed h_enabled⟩
  · intro t h_t topo s e m h_wf h_assumed h_in h_active h_tag h_accepts
    simp only [protocol, List.mem_cons, List.not_mem_nil, or_false] at h_t
    rcases h_t with rfl | rfl
    · exact ⟨coherence_preserved_by_serverRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        responseCorrect_preserved_by_serverRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        pendingWellFormed_preserved_by_serverRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        responsesAnswerRequests_preserved_by_serverRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        clientsAwaitAnswers_preserved_by_serverRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts⟩
    · exact ⟨coherence_preserved_by_clientRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        responseCorrect_preserved_by_clientRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        pendingWellFormed_preserved_by_clientRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        responsesAnswerRequests_preserved_by_clientRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts,
        clientsAwaitAnswers_preserved_by_clientRecv topo s e m h_wf h_assumed h_in h_active h_tag h_accepts⟩

/-- **Response correctness.** In every reachable state of the Calculator, on any well-formed
topology and under any send-hooks of a world it runs in, every response in the soup carries `f`
of its arguments. -/
theorem responseCorrect_always (hooks : SendCondition Topology Locals Msg) (topo : Topology) (h_wf : wf topo)
    {s : Statelet Locals Msg} (h_reach : Reachable protocol hooks topo s) : responseCorrect topo s = true :=
  (assumed_inductive.always hooks topo h_wf h_reach).2.1

/-- **Answers go to the client that asked.** In every reachable state, a server has answered a
client with some arguments, and holds requests of that client with those arguments, at most as
often as it received such a request from that client. -/
theorem responsesAnswerRequests_always (hooks : SendCondition Topology Locals Msg) (topo : Topology) (h_wf : wf topo)
    {s : Statelet Locals Msg} (h_reach : Reachable protocol hooks topo s) : responsesAnswerRequests topo s = true :=
  (assumed_inductive.always hooks topo h_wf h_reach).2.2.2.1

/-- **Answers answer a pending request of their client.** In every reachable state, the requests
and answers in flight between a client and a server with some arguments, with the requests that
server holds from the client, are at most the requests the client waits on from that server with
those arguments. -/
theorem clientsAwaitAnswers_always (hooks : SendCondition Topology Locals Msg) (topo : Topology) (h_wf : wf topo)
    {s : Statelet Locals Msg} (h_reach : Reachable protocol hooks topo s) : clientsAwaitAnswers topo s = true :=
  (assumed_inductive.always hooks topo h_wf h_reach).2.2.2.2

/-- In every reachable state, a response in flight answers a pending request of its receiver,
sent to its sender with those arguments (Disel's `client_recv` filter, `cr_wf`, never refuses it). -/
theorem response_answers_pending (hooks : SendCondition Topology Locals Msg) (topo : Topology) (h_wf : wf topo)
    {s : Statelet Locals Msg} (h_reach : Reachable protocol hooks topo s) {e : Envelope Msg} {m : Response}
    (h_in : e ∈ s.soup) (h_active : e.active = true) (h_msg : e.msg = Msg.resp m) :
    ∃ r ∈ (s.locals.client e.dst).pending, r.peer = e.src ∧ r.args = m.args := by
  have h := aw_of (clientsAwaitAnswers_always hooks topo h_wf h_reach) (c := e.dst) (sv := e.src) (a := m.args)
    (Or.inr ⟨e, h_in, Or.inr ⟨by simp [h_msg, Msg.isReq], rfl, rfl⟩, by simp [h_msg, Msg.args]⟩)
  have h_flight : inFlight s e.dst e.src m.args ≠ 0 := by
    have hmem : e ∈ s.soup.filter (fun x => (x.active && (((x.msg.isReq && (x.src == e.dst)) && (x.dst == e.src)) ||
        ((x.msg.isResp && (x.src == e.src)) && (x.dst == e.dst)))) && (sameArgs x.msg.args m.args)) := by
      simp [h_in, h_active, h_msg, Msg.isReq, Msg.isResp, Msg.args]
    exact Nat.pos_iff_ne_zero.mp (List.length_pos_of_mem hmem)
  simp only [AwAt] at h
  have h_await : awaited s e.dst e.src m.args ≠ 0 := by omega
  obtain ⟨r, hr, hp⟩ := mem_of_len_filter_ne (l := (s.locals.client e.dst).pending)
    (p := fun r => (r.peer == e.src) && (sameArgs r.args m.args)) h_await
  simp only [Bool.and_eq_true, beq_iff_eq, sameArgs_eq, decide_eq_true_eq] at hp
  exact ⟨r, hr, hp⟩

end Calculator

end
