/-!
# The translated fragment's JavaScript operations

The few array and number operations of the exported fragment (DESIGN §3) whose JavaScript meaning
is not a Lean library function's: `findIndex` answers `-1` when nothing matches, `slice` counts
negative positions from the end, and `a[i]` outside the array is `undefined`, which a well-typed
spec never reads (the exporter reads it as the type's default; the differential check compares
the two languages on sampled states).
-/

noncomputable section

namespace Protoweave.Js

variable {α : Type}

/-- `l.findIndex(p)`. -/
def findIndex (l : List α) (p : α → Bool) : Int :=
  match l.findIdx? p with
  | some k => k
  | none => -1

/-- Where `slice` starts or stops for position `i` in an array of length `len`. -/
def slicePosition (len : Nat) (i : Int) : Nat :=
  if i < 0 then ((len : Int) + i).toNat else min i.toNat len

/-- `l.slice(start, stop)`. -/
def slice (l : List α) (start stop : Int) : List α :=
  let a := slicePosition l.length start
  let b := slicePosition l.length stop
  (l.drop a).take (b - a)

/-- `l.slice(start)`. -/
def sliceFrom (l : List α) (start : Int) : List α :=
  l.drop (slicePosition l.length start)

/-- `l[i]` for an integer position. -/
def at! [Inhabited α] (l : List α) (i : Int) : α :=
  if i < 0 then default else l.getD i.toNat default

end Protoweave.Js

end
