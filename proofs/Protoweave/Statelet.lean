import Protoweave.Soup

/-!
# Statelets

Disel's `dstatelet`: one protocol's state, every node's local state and the soup. Local states are
grouped by role, one function from node ids per role, in a structure the exporter generates for
each protocol (its `Locals`); `update` changes one node's local state and no other's, which is
Disel's `step_is_local` by construction.
-/

noncomputable section

namespace Protoweave

/-- One protocol's state: the local states of its nodes and its soup. -/
structure Statelet (Locals Msg : Type) where
  locals : Locals
  soup : Soup Msg

/-- The local states of one role after node `n`'s becomes `v`. -/
def update {α : Type} (f : Node → α) (n : Node) (v : α) : Node → α :=
  fun k => if k = n then v else f k

@[simp] theorem update_self {α : Type} (f : Node → α) (n : Node) (v : α) : update f n v n = v := by
  simp [update]

@[simp] theorem update_other {α : Type} (f : Node → α) (n k : Node) (v : α) (h : k ≠ n) :
    update f n v k = f k := by
  simp [update, h]

end Protoweave

end
