import Protoweave.Soup
import Protoweave.Statelet
import Protoweave.Protocol
import Protoweave.Invariant
import Protoweave.Hook
import Protoweave.World
import Protoweave.WithInvariant
import Protoweave.Fragment
import Protoweave.Ladder

/-!
# Protoweave

The hand-written core library: the soup, statelets, protocols and the network step, inductive
invariants with one obligation per transition, send-hooks and worlds, `withInvariant`, the
JavaScript operations of the exported fragment, and the tactic ladder. The exporter's files
(`Generated/`) import it; the hand-written proofs (`Proofs/`) import those.
-/
