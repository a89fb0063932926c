/**
 * The journal's fault-injection seam (its `write` and `flush`), through a disk that can hold a
 * flush, fail a write and lose power (`Disk.ts`): a failed write stops the journal; a power cut
 * keeps exactly what the completed flushes covered, plus at most a torn last write, which
 * reopening cuts off; a flush covers only the writes made before it began.
 */
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import { Journal, type JournalRecord } from "../../runtime/Journal.ts"
import { scratch } from "../cli/Harness.ts"
import { Disk } from "./Disk.ts"

const dir = scratch("protoweave-journal-")

const wake = (time: number): JournalRecord => ({ r: "wake", time, ms: 1 })
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))
const synced = (journal: Journal) => new Promise<Error | undefined>((resolve) => journal.sync(resolve))

const open = (name: string, disk?: Disk) => {
  const file = path.join(dir, `${name}.journal`)
  const d = disk ?? new Disk(file)
  return { file, disk: d, ...Journal.open(file, { flush: d.flush, write: d.write }) }
}

describe("a journal over a disk that fails", () => {
  it("stops for good when a write fails: the sync fails, its owner is told, and later appends throw", async () => {
    const { journal, disk } = open("failed-write")
    const failures: Array<string> = []
    journal.whenFailed((e) => void failures.push(e.message))
    journal.append(wake(1))
    assert.isUndefined(await synced(journal))
    disk.failNextWrite()
    journal.append(wake(2))
    const error = await synced(journal)
    assert.strictEqual(error?.message, "EIO: i/o error, write")
    assert.deepStrictEqual(failures, ["EIO: i/o error, write"])
    assert.throws(() => journal.append(wake(3)), "EIO: i/o error, write")
    journal.close()
  })

  it("keeps after a power cut exactly what the completed flushes covered", async () => {
    const { file, journal, disk } = open("power-cut")
    journal.append(wake(1))
    assert.isUndefined(await synced(journal))
    // Written to the file (the page cache) but never flushed.
    journal.append(wake(2))
    await turn()
    assert.isAbove(disk.unflushedBytes, 0)
    // A flush held when the power goes never completes: its sync fails.
    disk.hold = true
    journal.append(wake(3))
    const held = synced(journal)
    await turn()
    disk.cut()
    assert.strictEqual((await held)?.message, "EIO: i/o error, fdatasync")
    journal.close()
    disk.restore()
    const reopened = Journal.open(file)
    assert.deepStrictEqual(reopened.records, [wake(1)])
    reopened.journal.close()
  })

  it("cuts off a write torn by a power cut when it is reopened, and keeps a whole one", async () => {
    for (const [name, keep, expected] of [
      ["torn-inside", "part", [wake(1)]],
      ["torn-after", "all", [wake(1), wake(2)]]
    ] as const) {
      const { file, journal, disk } = open(name)
      journal.append(wake(1))
      assert.isUndefined(await synced(journal))
      journal.append(wake(2))
      await turn()
      const unflushed = disk.unflushedBytes
      disk.cut()
      journal.close()
      disk.restore(keep === "part" ? unflushed - 3 : unflushed)
      const reopened = Journal.open(file)
      assert.deepStrictEqual(reopened.records, [...expected], name)
      reopened.journal.close()
    }
  })

  it("makes durable with a flush only the writes made before the flush began", async () => {
    // Flushes complete a turn after they begin; the second record is written meanwhile.
    const file = path.join(dir, "flush-covers.journal")
    const disk = new Disk(file, (complete) => void setImmediate(complete))
    const { journal } = Journal.open(file, { flush: disk.flush, write: disk.write })
    journal.append(wake(1))
    const first = synced(journal)
    await Promise.resolve()
    journal.append(wake(2))
    assert.isUndefined(await first)
    disk.cut()
    journal.close()
    disk.restore()
    const reopened = Journal.open(file)
    assert.deepStrictEqual(reopened.records, [wake(1)])
    reopened.journal.close()
  })
})
