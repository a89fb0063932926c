/-!
# The message soup

Disel's `soup`: every message ever sent, with its id, sender, receiver, tagged payload and whether
it is still active. Receiving a message marks it consumed; nothing is ever removed, so invariants
can speak about history. Ids are dense: a message's id is the soup's length when it was posted
(`core/Statelet.ts`).
-/

noncomputable section

namespace Protoweave

/-- Node ids. The exporter numbers a topology's nodes in order, as the checker's codec does, so
that node ids compare with `Nat` equality, which the kernel evaluates fast. -/
abbrev Node := Nat

/-- One message of the soup (Disel's `msg`). -/
structure Envelope (Msg : Type) where
  id : Nat
  src : Node
  dst : Node
  msg : Msg
  active : Bool

/-- Every message sent so far, in the order they were posted. -/
abbrev Soup (Msg : Type) := List (Envelope Msg)

namespace Soup

variable {Msg : Type}

/-- Posts `msg` from `src` to `dst` as a new active message (Disel's `post_msg`). -/
def post (soup : Soup Msg) (src dst : Node) (msg : Msg) : Soup Msg :=
  soup ++ [{ id := soup.length, src := src, dst := dst, msg := msg, active := true }]

/-- Marks message `id` consumed (Disel's `consume_msg`). Written without an `if`, so that the
id, ends and payload of every message are unchanged by definition and `simp` sees it at once. -/
def consume (soup : Soup Msg) (id : Nat) : Soup Msg :=
  soup.map fun e => { e with active := e.active && !(e.id == id) }

end Soup

end Protoweave

end
