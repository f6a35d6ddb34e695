"""Checks of the Nix files (default.nix, flake.nix, nix/*.nix) with Debian's
nix-instantiate (package nix-bin). No nixpkgs is needed: every file must
parse, and package.nix and collectd-headers.nix are evaluated with stand-in
inputs, which checks the arguments and flags a real nixpkgs would see.

The NixOS module needs nixpkgs' lib: set P2POOL_NIXPKGS_LIB to a nixpkgs
lib directory (e.g. /path/to/nixpkgs/lib) to evaluate it too.
"""

import json
import os
import re
import subprocess

import pytest

from required_tools import require_tool

E2E_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(E2E_DIR))
NIX_DIR = os.path.join(REPO_ROOT, "nix")

# Stand-ins for nixpkgs: a derivation is its attribute set, a package a
# named set with an output path.
STUBS = r"""
  stub = name: {
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
    version = "5.12.0";
    src = "collectd-src";
    patches = [ "fix-dash-t.patch" ];
    meta = { homepage = "https://collectd.org"; license = "gpl2"; platforms = [ "x86_64-linux" ]; };
  };
  lib = {
    cleanSource = path: path;
    cleanSourceWith = args: args;
    hasSuffix = suffix: text:
      let
        n = builtins.stringLength suffix;
        m = builtins.stringLength text;
      in m >= n && builtins.substring (m - n) n text == suffix;
    platforms.linux = [ "x86_64-linux" ];
  };
  stdenv.mkDerivation = attrs: attrs // { outPath = "/nix/store/11111111111111111111111111111111-${attrs.pname}"; };
  inputs = {
    inherit lib stdenv;
    collectd = stub "collectd";
    autoreconfHook = stub "autoreconf-hook";
    pkg-config = stub "pkg-config";
    libtool = stub "libtool";
    bison = stub "bison";
    flex = stub "flex";
    curl = stub "curl";
    libwebsockets = stub "libwebsockets";
    json_c = stub "json-c";
    hiredis = stub "hiredis";
    cmocka = stub "cmocka";
  };
  callPackage = path: args:
    let f = import path;
    in f (builtins.intersectAttrs (builtins.functionArgs f) (inputs // { inherit callPackage; }) // args);
"""


@pytest.fixture(scope="module")
def nix_instantiate():
    return require_tool("nix-instantiate", "nix-bin")


def nix_files():
    files = [os.path.join(REPO_ROOT, "default.nix"), os.path.join(REPO_ROOT, "flake.nix")]
    files += sorted(os.path.join(NIX_DIR, name) for name in os.listdir(NIX_DIR)
                    if name.endswith(".nix"))
    return files


def evaluate(nix_instantiate, expression):
    """Evaluate a Nix expression strictly; return it as Python data."""
    result = subprocess.run(
        [nix_instantiate, "--eval", "--strict", "--json", "-E", expression],
        capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def configure_version():
    with open(os.path.join(REPO_ROOT, "configure.ac"), encoding="utf-8") as f:
        return re.search(r"AC_INIT\(\[[^]]*\],\s*\[([^]]+)\]", f.read()).group(1)


@pytest.mark.parametrize("path", nix_files(), ids=os.path.basename)
def test_nix_file_parses(nix_instantiate, path):
    result = subprocess.run([nix_instantiate, "--parse", path],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_package_inputs_and_flags(nix_instantiate):
    package = evaluate(nix_instantiate, """
      let %s
        pkg = callPackage %s/package.nix { };
      in {
        inherit (pkg) pname version configureFlags doCheck;
        buildInputs = map (p: p.name) pkg.buildInputs;
        nativeBuildInputs = map (p: p.name) pkg.nativeBuildInputs;
        checkInputs = map (p: p.name) pkg.checkInputs;
        headers = pkg.passthru.collectd-headers.outPath;
      }
    """ % (STUBS, NIX_DIR))

    assert package["pname"] == "collectd-p2pool"
    assert package["version"] == configure_version()
    assert sorted(package["buildInputs"]) == ["curl", "hiredis", "json-c", "libwebsockets"]
    assert sorted(package["nativeBuildInputs"]) == ["autoreconf-hook", "pkg-config"]
    assert package["checkInputs"] == ["cmocka"]
    assert package["doCheck"] is True
    flags = package["configureFlags"]
    assert "--with-collectd-include=" + package["headers"] in flags
    assert any(re.fullmatch(r"--with-collectd-plugindir=/\w+/lib/collectd", flag)
               for flag in flags), flags


def test_package_source_filter(nix_instantiate):
    """Files of a local build stay out of the store copy of the source."""
    kept = evaluate(nix_instantiate, """
      let %s
        pkg = callPackage %s/package.nix { };
        keep = name: pkg.src.filter "/src/${name}" "regular";
      in map keep [ "configure.ac" "Makefile.am" "src" "configure" "Makefile"
                    "config.status" "autom4te.cache" "p2pool.lo" "p2pool.la" "test.log" ]
    """ % (STUBS, NIX_DIR))
    assert kept == [True, True, True, False, False, False, False, False, False, False]


def test_headers_use_collectd_source(nix_instantiate):
    headers = evaluate(nix_instantiate, """
      let %s
        drv = callPackage %s/collectd-headers.nix { };
      in {
        inherit (drv) pname version src patches configureFlags dontBuild installPhase;
        nativeBuildInputs = map (p: p.name) drv.nativeBuildInputs;
      }
    """ % (STUBS, NIX_DIR))

    assert headers["version"] == "5.12.0"
    assert headers["src"] == "collectd-src"
    assert headers["patches"] == ["fix-dash-t.patch"]
    assert "--disable-all-plugins" in headers["configureFlags"]
    assert headers["dontBuild"] is True
    assert "autoreconf-hook" in headers["nativeBuildInputs"]
    assert "src/config.h" in headers["installPhase"]


def test_module_config(nix_instantiate):
    lib_dir = os.environ.get("P2POOL_NIXPKGS_LIB")
    if not lib_dir:
        pytest.skip("set P2POOL_NIXPKGS_LIB to a nixpkgs lib directory to evaluate the "
                    "NixOS module")
    config = evaluate(nix_instantiate, """
      let
        lib = import %s;
        drv = name: { type = "derivation"; inherit name; outPath = "/nix/store/x-${name}"; };
        pkgs = {
          collectd = drv "collectd";
          runCommand = name: env: script: drv name // { inherit script; };
          callPackage = path: args: drv "collectd-p2pool";
        };
        # The options of nixpkgs' collectd module that ours reads and sets.
        collectdModule = {
          options.services.collectd = {
            enable = lib.mkEnableOption "collectd";
            package = lib.mkOption { type = lib.types.package; default = pkgs.collectd; };
            finalPackage = lib.mkOption { type = lib.types.package; default = drv "collectd-minimal"; };
            buildMinimalPackage = lib.mkOption { type = lib.types.bool; default = false; };
            extraConfig = lib.mkOption { type = lib.types.lines; default = ""; };
          };
          config.services.collectd.extraConfig = lib.mkOrder 1200 ''
            BaseDir "/var/lib/collectd"
            LoadPlugin syslog
          '';
        };
        evaluated = lib.evalModules {
          specialArgs = { inherit pkgs; };
          modules = [
            collectdModule
            %s/module.nix
            {
              services.collectd.enable = true;
              services.collectd.p2pool.enable = true;
              services.collectd.p2pool.settings = ''
                <Observer "mini">
                  URL "https://mini.p2pool.observer"
                </Observer>
              '';
            }
          ];
        };
      in {
        text = evaluated.config.services.collectd.extraConfig;
      }
    """ % (lib_dir, NIX_DIR))

    lines = [line.strip() for line in config["text"].splitlines() if line.strip()]
    assert lines[0].startswith('PluginDir "/nix/store/x-collectd-plugins-with-p2pool"')
    assert lines[1] == ('TypesDB "/nix/store/x-collectd/share/collectd/types.db" '
                        '"/nix/store/x-collectd-p2pool/share/collectd/p2pool.types.db"')
    assert lines.index("LoadPlugin syslog") < lines.index("LoadPlugin p2pool")
    assert lines[lines.index("LoadPlugin p2pool") + 1] == "<Plugin p2pool>"
    assert '<Observer "mini">' in lines
    assert lines[-1] == "</Plugin>"
