import Protoweave.Invariant

/-!
# Send-hooks and worlds

Disel's send-hooks (`Core/Worlds.v`): a hook is a side condition on every send of one tag of a
client protocol, reading the sender's own local states in a core protocol and in the client
protocol. A world of a core and a client protocol steps either protocol; a client send also needs
every hook on its tag to hold (`all_hooks_fire`). Hooks only remove steps, so an invariant proved
of a protocol alone (`Inductive.always`, which holds for any send condition) holds in every world
that contains it.
-/

noncomputable section

namespace Protoweave

/-- A send-hook of a client protocol on a core protocol. -/
structure Hook (CoreLocals ClientLocals ClientMsg : Type) where
  name : String
  /-- Does the hook constrain this client message? (Its tag.) -/
  applies : ClientMsg → Bool
  /-- The side condition, on the core and client local states of the sender `this`. -/
  pred : CoreLocals → ClientLocals → (this to : Node) → ClientMsg → Bool

/-- Every hook on the message's tag holds (Disel's `all_hooks_fire`). -/
def Hook.allFire {CL L M : Type} (hooks : List (Hook CL L M)) (core : CL) (client : L) (this to : Node) (msg : M) : Prop :=
  ∀ h ∈ hooks, h.applies msg = true → h.pred core client this to msg = true

/-- A world of two protocols under distinct labels, and the hooks of the client on the core. -/
structure World (TC LC MC TQ LQ MQ : Type) where
  core : Protocol TC LC MC
  client : Protocol TQ LQ MQ
  hooks : List (Hook LC LQ MQ)

variable {TC LC MC TQ LQ MQ : Type}

/-- One step of a world: a core step, or a client step whose sends satisfy the hooks. -/
inductive World.Step (W : World TC LC MC TQ LQ MQ) (topoC : TC) (topoQ : TQ) :
    Statelet LC MC × Statelet LQ MQ → Statelet LC MC × Statelet LQ MQ → Prop
  | core {c c' : Statelet LC MC} (q : Statelet LQ MQ) :
      NetStep W.core noHooks topoC c c' → World.Step W topoC topoQ (c, q) (c', q)
  | client (c : Statelet LC MC) {q q' : Statelet LQ MQ} :
      NetStep W.client (fun _ s this to msg => Hook.allFire W.hooks c.locals s.locals this to msg) topoQ q q' →
      World.Step W topoC topoQ (c, q) (c, q')

end Protoweave

end
