/**
 * The error of an ill-formed world, or of a program that may not run in it: a repeated label, a
 * hook naming a protocol outside the world, a program injected into a world whose hooks constrain
 * its protocol.
 *
 * @since 0.1.0
 */

/**
 * A world that is ill-formed, or a program refused by it; the message names the world and the part.
 *
 * @example
 * new WorldSpecError(`world "w": two protocols have the label "lock"`).name // => "WorldSpecError"
 */
export class WorldSpecError extends Error {
  override readonly name = "WorldSpecError"
}
