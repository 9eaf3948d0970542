// Random cut tree invariants: after any sequence of inserts and deletes, the tree mass is the sum of the leaf masses,
// every internal bounding box is exactly the union of its children, every point lies on the right side of every cut
// above it, and the node pools account for every node.
import { expect } from "chai";
import { PointStore } from "../../../local/rcf/point-store";
import { Xoshiro128 } from "../../../local/rcf/random";
import { RandomCutTree } from "../../../local/rcf/tree";

function setup(capacity: number, dimensions: number, storeCapacity = 4 * capacity) {
  const store = new PointStore(dimensions, storeCapacity);
  const tree = new RandomCutTree(capacity, store, new Xoshiro128(7, 1));
  return { store, tree };
}

describe("rcf: RandomCutTree", () => {
  it("keeps mass, bounding boxes and cuts consistent through random inserts and deletes (1-D and 3-D)", () => {
    for (const dimensions of [1, 3]) {
      const { store, tree } = setup(64, dimensions, 200);
      const random = new Xoshiro128(11);
      const live: { point: number; leaf: number }[] = [];
      for (let step = 0; step < 3000; step++) {
        const insert = live.length === 0 || (live.length < 64 && random.nextDouble() < 0.55);
        if (insert) {
          // Coarse grid values so that duplicates happen too.
          const coordinates = Array.from(
            { length: dimensions },
            () => Math.round(random.nextDouble() * 40) / 4,
          );
          const fresh = store.add(coordinates);
          const leaf = tree.insert(fresh);
          // Like the forest: the reference is taken on the point the tree keeps (an earlier copy for a duplicate).
          const point = tree.pointIndexOfLeaf(leaf);
          store.incrementRefCount(point);
          store.releaseIfUnused(fresh);
          live.push({ point, leaf });
        } else {
          const victim = live.splice(Math.floor(random.nextDouble() * live.length), 1)[0];
          tree.deleteLeaf(victim.leaf);
          store.decrementRefCount(victim.point);
        }
        if (step % 50 === 0) {
          expect(tree.validate(), `step ${step}, ${dimensions}-D`).to.deep.equal([]);
          expect(tree.mass).to.equal(live.length);
        }
      }
      expect(tree.validate()).to.deep.equal([]);
      for (const { point, leaf } of live.splice(0)) {
        tree.deleteLeaf(leaf);
        store.decrementRefCount(point);
      }
      expect(tree.mass).to.equal(0);
      expect(tree.leafCount).to.equal(0);
      expect(tree.internalNodeCount).to.equal(0);
      expect(tree.validate()).to.deep.equal([]);
    }
  });

  it("grows and shrinks the root bounding box exactly", () => {
    const { store, tree } = setup(8, 2);
    const add = (x: number, y: number) => tree.insert(store.add([x, y]));
    const a = add(0, 0);
    const b = add(10, -5);
    const c = add(3, 20);
    expect(tree.rootBox()).to.deep.equal({ min: [0, -5], max: [10, 20] });
    tree.deleteLeaf(c);
    expect(tree.rootBox()).to.deep.equal({ min: [0, -5], max: [10, 0] });
    tree.deleteLeaf(b);
    expect(tree.rootBox()).to.deep.equal({ min: [0, 0], max: [0, 0] });
    tree.deleteLeaf(a);
    expect(tree.rootBox()).to.equal(undefined);
  });

  it("merges duplicates into one leaf whose mass counts the copies", () => {
    const { store, tree } = setup(8, 1);
    const first = store.add([5]);
    const leaf = tree.insert(first);
    const copy = tree.insert(store.add([5]));
    expect(copy).to.equal(leaf);
    expect(tree.pointIndexOfLeaf(copy)).to.equal(first);
    expect(tree.massOfLeaf(leaf)).to.equal(2);
    expect(tree.mass).to.equal(2);
    expect(tree.leafCount).to.equal(1);
    tree.deleteLeaf(leaf);
    expect(tree.massOfLeaf(leaf)).to.equal(1);
    expect(tree.mass).to.equal(1);
  });

  it("deletes a point by its coordinates and refuses a point that is not there", () => {
    const { store, tree } = setup(8, 1);
    const p = store.add([1]);
    tree.insert(p);
    tree.insert(store.add([2]));
    const absent = store.add([3]);
    expect(() => tree.deletePoint(absent)).to.throw(/not in the tree/);
    tree.deletePoint(p);
    expect(tree.mass).to.equal(1);
    expect(tree.validate()).to.deep.equal([]);
  });

  it("scores like the reference: 0 when empty, isolated points high, seen points damped", () => {
    const { store, tree } = setup(64, 1);
    const query = new Float64Array(1);
    expect(tree.score(query)).to.equal(0);
    for (let i = 0; i < 64; i++) tree.insert(store.add([i % 16]));
    // A far outlier is separated at the root with probability close to 1: score close to 1 x log2(65).
    query[0] = 1e6;
    const outlier = tree.score(query);
    expect(outlier).to.be.closeTo(Math.log2(65), 0.01);
    // A point between existing values is deeper, so it scores lower.
    query[0] = 7.5;
    const inlier = tree.score(query);
    expect(inlier).to.be.lessThan(outlier / 2);
    // A sampled value (mass 4 of 64) uses scoreSeen x damp: (1 - 4 / 128) / (depth + log2(5)) x log2(65).
    query[0] = 7;
    const depth = tree.leafDepth(query);
    const expected = ((1 - 4 / 128) / (depth + Math.log2(5))) * Math.log2(65);
    expect(tree.score(query)).to.be.closeTo(expected, 1e-12);
  });

  it("scores two trees at once exactly like one at a time", () => {
    const store = new PointStore(2, 400);
    const a = new RandomCutTree(100, store, new Xoshiro128(1));
    const b = new RandomCutTree(100, store, new Xoshiro128(2));
    const random = new Xoshiro128(3);
    for (let i = 0; i < 100; i++) {
      a.insert(store.add([random.nextDouble(), random.nextDouble()]));
      b.insert(store.add([random.nextDouble() * 2, random.nextDouble()]));
    }
    for (let i = 0; i < 50; i++) {
      const query = Float64Array.of(random.nextDouble() * 3 - 1, random.nextDouble() * 3 - 1);
      expect(RandomCutTree.scorePair(a, b, query)).to.equal(a.score(query) + b.score(query));
    }
  });

  it("throws instead of overfilling its fixed pools", () => {
    const { store, tree } = setup(4, 1);
    for (let i = 0; i < 4; i++) tree.insert(store.add([i]));
    expect(() => tree.insert(store.add([99]))).to.throw(/capacity/);
  });
});
