import Protoweave.Protocol

/-!
# Send-hooks

Disel's send-hooks (`Core/Worlds.v`): a hook is a side condition on every send of one tag of a
client protocol, reading the sender's own local states in a core protocol and in the client
protocol. A client send needs every hook on its tag to hold (`all_hooks_fire`). The hook also sees
the core's topology, since the sender must play the hook's role there (`core/World.ts`).
-/

noncomputable section

namespace Protoweave

/-- A send-hook of a client protocol on a core protocol. -/
structure Hook (CoreTopo CoreLocals ClientLocals ClientMsg : Type) where
  name : String
  /-- Does the hook constrain this client message? (Its tag.) -/
  applies : ClientMsg → Bool
  /-- The side condition, on the core's topology and the core and client local states of the sender `this`. -/
  pred : CoreTopo → CoreLocals → ClientLocals → (this to : Node) → ClientMsg → Bool

/-- Every hook on the message's tag holds (Disel's `all_hooks_fire`). -/
def Hook.allFire {TC CL L M : Type} (hooks : List (Hook TC CL L M)) (topo : TC) (core : CL) (client : L) (this to : Node) (msg : M) : Prop :=
  ∀ h ∈ hooks, h.applies msg = true → h.pred topo core client this to msg = true

end Protoweave

end
