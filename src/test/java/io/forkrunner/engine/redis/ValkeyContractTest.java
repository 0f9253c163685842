package io.forkrunner.engine.redis;

/** Valkey keeps the engine contract as Redis does, with its own server, tools and OS user ({@code engine: valkey}). */
class ValkeyContractTest extends RedisContractTest {

    @Override
    protected RedisFamily family() {
        return RedisFamily.VALKEY;
    }
}
