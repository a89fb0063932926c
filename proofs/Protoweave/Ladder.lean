import Protoweave.World

/-!
# The tactic ladder

How the exporter tries to discharge an obligation: unfold the obligation's shape, introduce its
hypotheses, then try `decide`, `simp_all`, `simp_all` then `omega`, `simp_all` then `grind`, and
`grind`, in that order, in one elaboration (`first`), so that one Lean run tries every rung of
every obligation. The rung that succeeds says so in a message naming the obligation; the exporter
reads those messages and keeps that rung as the obligation's proof. The generated definitions are
made `simp` lemmas in the section of the attempts, so that `simp_all` and `grind` see through them.
-/

namespace Protoweave

/-- Unfolds an obligation's shape and introduces its hypotheses: how every kept rung starts. -/
macro "protoweave_intro" : tactic =>
  `(tactic| (
    try simp only [Protoweave.HoldsInitially, Protoweave.PreservedBySend, Protoweave.PreservedByReceive,
      Protoweave.WorldHoldsInitially, Protoweave.WorldPreservedByCoreSend, Protoweave.WorldPreservedByCoreReceive,
      Protoweave.WorldPreservedByClientSend, Protoweave.WorldPreservedByClientReceive]
    intros))

/-- Tries the ladder on the goal; `name` is the obligation's name, for the report. -/
syntax (name := ladder) "protoweave_ladder " str : tactic

macro_rules
  | `(tactic| protoweave_ladder $name) => do
    let says (rung : String) : Lean.TSyntax `str :=
      Lean.Syntax.mkStrLit s!"protoweave: {name.getString} proved by {rung}"
    `(tactic| (
      protoweave_intro
      first
        | (decide; trace $(says "decide"))
        | (simp_all; done; trace $(says "simp_all"))
        | ((simp_all <;> omega); trace $(says "simp_all; omega"))
        | ((simp_all <;> grind); trace $(says "simp_all; grind"))
        | (grind; trace $(says "grind"))))

end Protoweave
