import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { modelRegistryAbi } from "@teetee/contracts/abi";
import {
  acceptCuratorship,
  getMaxShards,
  getModel,
  getModelIds,
  getPendingCurator,
  getProtocolFeeBps,
  getRevenueSplit,
  getShard,
  hasRole,
  isComposeHashAllowed,
  isOsImageAllowed,
  modelExists,
  registerModel,
  setAttestationTtl,
  setComposeHashAllowed,
  setMinStake,
  setModelActive,
  setOsImageAllowed,
  setPrices,
  teeTeeRoles,
  transferCuratorship,
} from "@teetee/sdk/contracts";
import { getAddress, keccak256, parseEventLogs, toHex, zeroAddress, zeroHash } from "viem";
import {
  COMPOSE_HASH,
  expectRevert,
  fixtures,
  modelParams,
  networkHelpers,
  OS_IMAGE,
  PROTOCOL_FEE_BPS,
  send,
} from "./helpers/fixture.js";

describe("ModelRegistry", () => {
  it("test_registerModel_storesModelShardsSplitAndAllowlist", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    const params = modelParams(3);
    await send(f.publicClient, registerModel(f.admin, { contracts: f.contracts, model: params }));
    const c = { contracts: f.contracts };
    const model = await getModel(f.publicClient, { ...c, modelId: params.modelId });
    assert.equal(model.curator, getAddress(f.admin.account.address));
    assert.equal(model.active, true);
    assert.equal(model.shardCount, 3);
    assert.equal(model.numLayers, 12);
    assert.equal(model.minStake, params.minStake);
    const shard = await getShard(f.publicClient, { ...c, modelId: params.modelId, shardIndex: 2n });
    assert.deepEqual(shard, params.shards[2]);
    const split = await getRevenueSplit(f.publicClient, { ...c, modelId: params.modelId });
    assert.deepEqual(
      split.shareBps,
      params.shards.map((s) => s.shareBps),
    );
    assert.equal(split.feeBps, PROTOCOL_FEE_BPS);
    assert.equal(
      await isComposeHashAllowed(f.publicClient, {
        ...c,
        modelId: params.modelId,
        composeHash: COMPOSE_HASH,
      }),
      true,
    );
    assert.equal(await modelExists(f.publicClient, { ...c, modelId: params.modelId }), true);
    assert.deepEqual(await getModelIds(f.publicClient, c), { ids: [params.modelId], total: 1n });
    assert.equal(await getProtocolFeeBps(f.publicClient, c), PROTOCOL_FEE_BPS);
    assert.equal(await getMaxShards(f.publicClient, c), 16);
    assert.equal(
      await hasRole(f.publicClient, {
        address: f.contracts.modelRegistry,
        role: teeTeeRoles.CURATOR_ROLE,
        member: f.admin.account.address,
      }),
      true,
    );
  });

  it("test_osImageAllowlist_seededAtRegistration_curatorOnly_withEvents", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    const c = { contracts: f.contracts };
    const params = modelParams(2);
    const registered = await send(f.publicClient, registerModel(f.admin, { ...c, model: params }));
    const m = { ...c, modelId: params.modelId };
    const seeded = parseEventLogs({
      abi: modelRegistryAbi,
      logs: registered.logs,
      eventName: "ModelOsImageSet",
    });
    assert.deepEqual(
      seeded.map((log) => log.args),
      [{ modelId: params.modelId, osImage: OS_IMAGE, allowed: true }],
    );
    assert.equal(await isOsImageAllowed(f.publicClient, { ...m, osImage: OS_IMAGE }), true);
    const other = keccak256(toHex("another OS image"));
    assert.equal(await isOsImageAllowed(f.publicClient, { ...m, osImage: other }), false);

    await expectRevert(
      setOsImageAllowed(f.stranger, { ...m, osImage: other, allowed: true }),
      "ModelNotCurator",
      [params.modelId, f.stranger.account.address],
    );
    const unknown = { ...c, modelId: keccak256(toHex("unknown model")) };
    await expectRevert(
      setOsImageAllowed(f.admin, { ...unknown, osImage: other, allowed: true }),
      "ModelNotFound",
    );

    for (const [osImage, allowed] of [
      [other, true],
      [OS_IMAGE, false],
    ] as const) {
      const receipt = await send(f.publicClient, setOsImageAllowed(f.admin, { ...m, osImage, allowed }));
      const [event] = parseEventLogs({
        abi: modelRegistryAbi,
        logs: receipt.logs,
        eventName: "ModelOsImageSet",
      });
      assert.deepEqual(event?.args, { modelId: params.modelId, osImage, allowed });
      assert.equal(await isOsImageAllowed(f.publicClient, { ...m, osImage }), allowed);
    }
    // The lists are per model: another model's allowlist is untouched.
    const second = modelParams(1, "second model");
    await send(f.publicClient, registerModel(f.admin, { ...c, model: { ...second, osImages: [] } }));
    assert.equal(
      await isOsImageAllowed(f.publicClient, { ...c, modelId: second.modelId, osImage: other }),
      false,
    );
  });

  it("test_curatorSetters_updateTheModel", async () => {
    const f = await networkHelpers.loadFixture(fixtures.market1);
    const c = { contracts: f.contracts, modelId: f.model.modelId };
    await send(f.publicClient, setPrices(f.admin, { ...c, inputPricePerMTok: 7n, outputPricePerMTok: 9n }));
    await send(f.publicClient, setMinStake(f.admin, { ...c, minStake: 5n }));
    await send(f.publicClient, setAttestationTtl(f.admin, { ...c, attestationTtl: 60n }));
    const other = keccak256(toHex("other compose"));
    await send(f.publicClient, setComposeHashAllowed(f.admin, { ...c, composeHash: other, allowed: true }));
    await send(f.publicClient, setModelActive(f.admin, { ...c, active: false }));
    let model = await getModel(f.publicClient, c);
    assert.deepEqual(
      [model.inputPricePerMTok, model.outputPricePerMTok, model.minStake, model.attestationTtl, model.active],
      [7n, 9n, 5n, 60n, false],
    );
    assert.equal(await isComposeHashAllowed(f.publicClient, { ...c, composeHash: other }), true);
    const next = f.contributors[5]!;
    await send(f.publicClient, transferCuratorship(f.admin, { ...c, newCurator: next.account.address }));
    assert.equal(await getPendingCurator(f.publicClient, c), getAddress(next.account.address));
    await send(f.publicClient, acceptCuratorship(next, c));
    assert.equal(await getPendingCurator(f.publicClient, c), zeroAddress);
    model = await getModel(f.publicClient, c);
    assert.equal(model.curator, getAddress(next.account.address));
    await expectRevert(setModelActive(f.admin, { ...c, active: true }), "ModelNotCurator");
    await send(f.publicClient, setModelActive(next, { ...c, active: true }));
  });

  it("test_getModelIds_paginates", async () => {
    const f = await networkHelpers.loadFixture(fixtures.deploy);
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const params = modelParams(1, `page ${i}`);
      ids.push(params.modelId);
      await send(f.publicClient, registerModel(f.admin, { contracts: f.contracts, model: params }));
    }
    assert.deepEqual(await getModelIds(f.publicClient, { contracts: f.contracts, offset: 1n, limit: 2n }), {
      ids: ids.slice(1, 3),
      total: 5n,
    });
    assert.deepEqual(await getModelIds(f.publicClient, { contracts: f.contracts, offset: 9n, limit: 2n }), {
      ids: [],
      total: 5n,
    });
  });

  describe("reverts", () => {
    it("test_registerModel_revertsWithoutCuratorRole", async () => {
      const f = await networkHelpers.loadFixture(fixtures.deploy);
      await expectRevert(
        registerModel(f.stranger, { contracts: f.contracts, model: modelParams(1) }),
        "AccessControlUnauthorizedAccount",
        [f.stranger.account.address, teeTeeRoles.CURATOR_ROLE],
      );
    });

    it("test_registerModel_revertsOnInvalidParams", async () => {
      const f = await networkHelpers.loadFixture(fixtures.market1);
      const c = { contracts: f.contracts };
      const base = modelParams(2, "invalid");
      await expectRevert(registerModel(f.admin, { ...c, model: f.model }), "ModelAlreadyRegistered", [
        f.model.modelId,
      ]);
      await expectRevert(
        registerModel(f.admin, { ...c, model: { ...base, modelId: zeroHash } }),
        "ModelZeroId",
      );
      await expectRevert(
        registerModel(f.admin, { ...c, model: { ...base, attestationTtl: 0n } }),
        "ModelInvalidAttestationTtl",
      );
      await expectRevert(
        registerModel(f.admin, { ...c, model: { ...base, shards: [] } }),
        "ModelInvalidShardCount",
        [0n],
      );
      const seventeen = modelParams(17, "too many");
      await expectRevert(registerModel(f.admin, { ...c, model: seventeen }), "ModelInvalidShardCount", [17n]);
      const gap = { ...base, shards: [base.shards[0]!, { ...base.shards[1]!, firstLayer: 5 }] };
      await expectRevert(registerModel(f.admin, { ...c, model: gap }), "ModelInvalidLayerRange", [1n, 5, 8]);
      await expectRevert(
        registerModel(f.admin, { ...c, model: { ...base, numLayers: 9 } }),
        "ModelInvalidLayerRange",
      );
      const shares = { ...base, shards: base.shards.map((s) => ({ ...s, shareBps: 100 })) };
      await expectRevert(registerModel(f.admin, { ...c, model: shares }), "ModelInvalidShares", [
        200n,
        PROTOCOL_FEE_BPS,
      ]);
    });

    it("test_curatorFunctions_revertForOthersAndUnknownModels", async () => {
      const f = await networkHelpers.loadFixture(fixtures.market1);
      const c = { contracts: f.contracts, modelId: f.model.modelId };
      const s = f.stranger;
      await expectRevert(
        setPrices(s, { ...c, inputPricePerMTok: 0n, outputPricePerMTok: 0n }),
        "ModelNotCurator",
        [f.model.modelId, s.account.address],
      );
      await expectRevert(setMinStake(s, { ...c, minStake: 0n }), "ModelNotCurator");
      await expectRevert(setAttestationTtl(s, { ...c, attestationTtl: 1n }), "ModelNotCurator");
      await expectRevert(
        setComposeHashAllowed(s, { ...c, composeHash: zeroHash, allowed: true }),
        "ModelNotCurator",
      );
      await expectRevert(setModelActive(s, { ...c, active: false }), "ModelNotCurator");
      await expectRevert(transferCuratorship(s, { ...c, newCurator: s.account.address }), "ModelNotCurator");
      await expectRevert(
        setAttestationTtl(f.admin, { ...c, attestationTtl: 0n }),
        "ModelInvalidAttestationTtl",
      );
      await expectRevert(
        transferCuratorship(f.admin, { ...c, newCurator: zeroAddress }),
        "ModelInvalidCurator",
        [zeroAddress],
      );
      const unknown = { contracts: f.contracts, modelId: keccak256(toHex("unknown")) };
      await expectRevert(
        setPrices(f.admin, { ...unknown, inputPricePerMTok: 0n, outputPricePerMTok: 0n }),
        "ModelNotFound",
      );
      await expectRevert(getModel(f.publicClient, unknown), "ModelNotFound", [unknown.modelId]);
      await expectRevert(getShard(f.publicClient, { ...c, shardIndex: 1n }), "ModelInvalidShardCount");
      await expectRevert(getRevenueSplit(f.publicClient, unknown), "ModelNotFound");
    });
  });
});
