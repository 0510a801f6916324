"""A second real dataset for crinn-bench and crinn-tune: SIFT descriptors
(128-d) of the photographs that Debian ships in its wallpaper packages,
written as an ann-benchmarks HDF5 file with exact ground truth.

The photographs are split by image, so no query comes from a picture whose
descriptors are in train: query images are drawn in seeded random order until
they are at least --query-share of the images and give --queries distinct
descriptors. Train is every distinct descriptor of the base images (seeded
subsample down to --max-train, rows in seeded random order); test is a seeded
sample of --queries distinct descriptors of the query images.

Usage: descriptors.py [--output PATH] [--force] [--max-train N] [--queries N]
                      [--keypoints-per-image N] [--max-side PX]
                      [--query-share F] [--seed N]
Run with /usr/bin/python3 (Debian's python3-opencv, -h5py, -numpy); the
wrapper bench/descriptors.sh installs them and the wallpaper packages.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

# One thread, as the benchmark beside it expects; OpenBLAS reads these at import.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENCV_FOR_THREADS_NUM"):
    os.environ.setdefault(variable, "1")

import cv2  # noqa: E402
import h5py  # noqa: E402
import numpy as np  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO, "build", "datasets", "debian-sift-128-euclidean.hdf5")
NEIGHBORS = 100
SHORTLIST = 132  # float32 candidates per query, re-ranked in float64
LID_NEIGHBORS = 20

# The photographs among the packages' images, chosen by looking at every one:
# the rest are vector art, renders, paintings and gradients, whose few
# keypoints sit on flat colour and sharp synthetic edges. Plasma ships each
# wallpaper once with symlinks for the other resolutions, so its real file is
# named here; MATE's Elephants (a painting, in three sizes) is left out.
# Keep the package names in step with bench/descriptors.sh.
PLASMA = "/usr/share/wallpapers/{}/contents/images/2560x1600.jpg"
BACKGROUNDS = "/usr/share/backgrounds/{}.jpg"
PHOTOGRAPHS = {
    "plasma-workspace-wallpapers": [PLASMA.format(name) for name in (
        "BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf",
        "Grey", "Kite", "OneStandsOut", "Path", "summer_1am")],
    "lomiri-wallpapers-16.04": [BACKGROUNDS.format(name) for name in (
        "Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly", "Picture_0B_by_freespace",
        "Picture_1A_by_freespace", "Wine_by_Jakkub_Mede", "aitzgorri_by_Aitzol_Berasategi",
        "analogpattern_by_Peter_Nerlich", "free_by_Peter_Nerlich", "friends_by_Aitzol_Berasategi",
        "greentock_by_Peter_Nerlich", "life_by_Aitzol_Berasategi", "picosdeeuropa_by_Aitzol_Berasategi",
        "seeding_by_Clements_Engelhardt", "sunset_by_Aitzol_Berasategi")],
    "lomiri-wallpapers-20.04": [BACKGROUNDS.format(name) for name in (
        "Infinite-Sea_by_Aury88", "Kleiber_by_Lukas_Baubkus")],
    "mate-backgrounds": [BACKGROUNDS.format("mate/nature/" + name) for name in (
        "Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops",
        "Storm", "TwoWings", "Wood", "YellowFlower")],
}


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments: one line naming the option and exit 2, as crinn-bench does."""

    def error(self, message):
        print(f"descriptors.py: {message}", file=sys.stderr)
        sys.exit(2)


def positive(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not '{text}'")
    return int(text)


def non_negative(text):
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, not '{text}'")
    return int(text)


def share(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, not '{text}'")
    return value


def parse_arguments():
    parser = OneLineParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help="HDF5 file to write (default %(default)s)")
    parser.add_argument("--force", action="store_true", help="replace --output if it exists")
    parser.add_argument("--max-train", type=positive, default=1_000_000,
                        help="train rows at most; more distinct descriptors are subsampled (default %(default)s)")
    parser.add_argument("--queries", type=positive, default=10_000, help="test rows (default %(default)s)")
    parser.add_argument("--keypoints-per-image", type=non_negative, default=0,
                        help="SIFT's nfeatures: the strongest N keypoints of an image, 0 for all (default 0)")
    parser.add_argument("--max-side", type=positive, default=2560,
                        help="larger images are scaled down to this many pixels on their long side (default %(default)s)")
    parser.add_argument("--query-share", type=share, default=0.1,
                        help="least share of the images that are query images (default %(default)s)")
    parser.add_argument("--seed", type=non_negative, default=42, help="seed of the samples (default %(default)s)")
    arguments = parser.parse_args()
    if arguments.max_train < SHORTLIST:
        parser.error(f"argument --max-train: must be >= {SHORTLIST}, the ground truth's shortlist")
    if os.path.exists(arguments.output) and not arguments.force:
        parser.error(f"argument --output: {arguments.output} exists (pass --force to replace it)")
    return arguments


def progress(message):
    print(f"\rdescriptors: {message}\033[K", end="", file=sys.stderr, flush=True)


def package_versions():
    versions = {}
    for package in PHOTOGRAPHS:
        query = subprocess.run(["dpkg-query", "-W", "-f=${Status}|${Version}", package],
                               capture_output=True, text=True)
        status, _, version = query.stdout.partition("|")
        if query.returncode != 0 or "ok installed" not in status:
            sys.exit(f"descriptors.py: package {package} is not installed (bench/descriptors.sh installs it)")
        versions[package] = version
    return versions


def extract(paths, sift, max_side):
    """Descriptors of each image, as float32 rows (whole numbers 0..255, as OpenCV's SIFT gives them)."""
    per_image = []
    for number, path in enumerate(paths, 1):
        progress(f"SIFT on image {number}/{len(paths)}")
        image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        if image is None:
            sys.exit(f"descriptors.py: cannot read image {path}")
        scale = max_side / max(image.shape)
        if scale < 1:
            size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        _, descriptors = sift.detectAndCompute(image, None)
        per_image.append(np.zeros((0, 128), np.float32) if descriptors is None else descriptors)
    print(file=sys.stderr)
    return per_image


def distinct_rows(rows):
    """Rows without exact repeats, first occurrences in their original order."""
    _, first = np.unique(rows, axis=0, return_index=True)
    return rows[np.sort(first)]


def split_images(per_image, query_share, queries, rng):
    """Indexes of the query images and their distinct descriptors: images in
    seeded random order until both the share and the query count are met, so
    the queries come from several photographs whatever their keypoint counts."""
    order = rng.permutation(len(per_image))
    least_images = max(1, round(query_share * len(per_image)))
    for taken in range(least_images, len(per_image)):
        pool = distinct_rows(np.concatenate([per_image[i] for i in order[:taken]]))
        if len(pool) >= queries:
            return sorted(order[:taken]), pool
    sys.exit(f"descriptors.py: argument --queries: {queries} distinct query descriptors would leave "
             f"no image for train (lower --queries)")


def exact_top(query, train, candidates, k):
    """The k nearest candidates by float64 squared distance, ties by id."""
    squared = np.empty(len(candidates))
    for start in range(0, len(candidates), 65536):
        chunk = candidates[start:start + 65536]
        difference = train[chunk].astype(np.float64) - query.astype(np.float64)
        squared[start:start + len(chunk)] = np.einsum("ij,ij->i", difference, difference)
    order = np.lexsort((candidates, squared))[:k]
    return candidates[order], squared[order]


def ground_truth(train, test):
    """Exact top-NEIGHBORS: float32 products shortlist SHORTLIST candidates, which
    are re-ranked in float64. A query whose 100th exact distance is not clearly
    below every excluded candidate's float32 estimate (with a bound on float32's
    rounding) is searched again over all of train, so the result is exact."""
    train_squared = np.einsum("ij,ij->i", train.astype(np.float64), train.astype(np.float64))
    train_squared32 = train_squared.astype(np.float32)
    # float32's error on |x|^2 - 2 q.x is below (dims + 5) unit roundoffs of
    # |q|^2 + |x|^2: dims from the dot product, the rest from the casts and
    # the sum. Twice that keeps a margin.
    rounding = 2 * (train.shape[1] + 5) * np.finfo(np.float32).eps / 2
    largest_squared = train_squared.max()
    block = max(1, (256 << 20) // (4 * len(train)))
    neighbors = np.empty((len(test), NEIGHBORS), np.int32)
    squared = np.empty((len(test), NEIGHBORS))
    full_scans = 0
    for start in range(0, len(test), block):
        progress(f"ground truth {start}/{len(test)} queries")
        queries = test[start:start + block]
        estimate = queries @ train.T
        estimate *= -2
        estimate += train_squared32  # |x|^2 - 2 q.x: |q|^2 does not change a query's order
        shortlist = np.argpartition(estimate, SHORTLIST - 1, axis=1)[:, :SHORTLIST]
        for row, query in enumerate(queries):
            query_squared = float(np.dot(query.astype(np.float64), query.astype(np.float64)))
            ids, distances = exact_top(query, train, shortlist[row], NEIGHBORS)
            excluded_floor = estimate[row, shortlist[row]].max() + query_squared
            if distances[-1] >= excluded_floor - rounding * (query_squared + largest_squared):
                ids, distances = exact_top(query, train, np.arange(len(train)), NEIGHBORS)
                full_scans += 1
            neighbors[start + row], squared[start + row] = ids, distances
    progress(f"ground truth {len(test)}/{len(test)} queries ({full_scans} searched in full)\n")
    return neighbors, np.sqrt(squared), full_scans


def local_intrinsic_dimensionality(distances):
    """Levina-Bickel MLE on each query's LID_NEIGHBORS nearest, for queries without a zero distance."""
    nearest = distances[:, :LID_NEIGHBORS]
    usable = nearest[nearest[:, 0] > 0]
    logs = np.log(usable[:, :-1] / usable[:, -1:])
    return -1.0 / logs.mean(axis=1)


def write_atomically(path, force, datasets, attributes):
    """A temporary file beside `path`, renamed over it: readers never see half a file,
    and without --force an existing file is never replaced, even one that
    appeared while this ran."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".descriptors-", suffix=".hdf5")
    os.close(handle)
    # mkstemp makes the file private; the dataset gets the mode any new file would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    try:
        # Contiguous and uncompressed, so crinn-bench can map train.
        with h5py.File(temporary, "w") as file:
            for name, values in datasets.items():
                file.create_dataset(name, data=values)
            for name, value in attributes.items():
                file.attrs[name] = value
        if force:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
            os.unlink(temporary)
    except FileExistsError:
        os.unlink(temporary)
        sys.exit(f"descriptors.py: {path} appeared while this ran (pass --force to replace it)")
    except BaseException:
        os.unlink(temporary)
        raise


def main():
    arguments = parse_arguments()
    cv2.setNumThreads(1)
    timings = {}
    versions = package_versions()
    paths = sorted(path for files in PHOTOGRAPHS.values() for path in files)

    started = time.perf_counter()
    sift = cv2.SIFT_create(nfeatures=arguments.keypoints_per_image)
    per_image = extract(paths, sift, arguments.max_side)
    timings["SIFT extraction"] = time.perf_counter() - started

    started = time.perf_counter()
    # Separate streams, so the split does not change with --max-train or --queries' sampling.
    query_images, query_pool = split_images(per_image, arguments.query_share, arguments.queries,
                                            np.random.default_rng([arguments.seed, 0]))
    rng = np.random.default_rng([arguments.seed, 1])
    query_paths = [paths[i] for i in query_images]
    base_paths = [path for path in paths if path not in query_paths]
    base_rows = np.concatenate([per_image[i] for i in range(len(paths)) if i not in query_images])
    train = distinct_rows(base_rows)
    distinct_base = len(train)
    if len(train) > arguments.max_train:
        train = train[np.sort(rng.choice(len(train), arguments.max_train, replace=False))]
    if len(train) < SHORTLIST:
        sys.exit(f"descriptors.py: the base images give only {len(train)} distinct descriptors "
                 f"(raise --max-side or --keypoints-per-image)")
    # Seeded random order, so an index built in row order does not meet one photograph at a time.
    train = np.ascontiguousarray(train[rng.permutation(len(train))])
    test = np.ascontiguousarray(query_pool[np.sort(rng.choice(len(query_pool), arguments.queries, replace=False))])
    timings["split, dedupe, sample"] = time.perf_counter() - started

    started = time.perf_counter()
    neighbors, distances, full_scans = ground_truth(train, test)
    timings["ground truth"] = time.perf_counter() - started

    started = time.perf_counter()
    lid = local_intrinsic_dimensionality(distances)
    whole_numbers = bool(np.array_equal(train, np.round(train)) and np.array_equal(test, np.round(test)))
    timings["statistics"] = time.perf_counter() - started

    settings = {
        "keypoints_per_image": arguments.keypoints_per_image,
        "max_side": arguments.max_side,
        "max_train": arguments.max_train,
        "queries": arguments.queries,
        "query_share": arguments.query_share,
        "seed": arguments.seed,
    }
    attributes = {
        "distance": "euclidean",
        "point_type": "float",
        "generator": "bench/descriptors.py",
        "descriptor": f"SIFT of OpenCV {cv2.__version__}: cv2.SIFT_create(nfeatures=keypoints_per_image), "
                      f"other parameters default, on grayscale images scaled down (INTER_AREA) to max_side",
        "source_packages": " ".join(f"{package}={version}" for package, version in versions.items()),
        "base_images": len(base_paths),
        "query_images": len(query_paths),
        "base_image_files": "\n".join(base_paths),
        "query_image_files": "\n".join(query_paths),
        "base_descriptors": len(base_rows),
        "base_distinct_descriptors": distinct_base,
        "query_descriptors": sum(len(per_image[i]) for i in query_images),
        "query_distinct_descriptors": len(query_pool),
        "ground_truth": f"exact: float32 shortlist of {SHORTLIST}, float64 re-rank, ties by id; "
                        f"{full_scans} queries searched in full",
        **settings,
    }
    started = time.perf_counter()
    write_atomically(arguments.output, arguments.force,
                     {"train": train, "test": test, "neighbors": neighbors,
                      "distances": distances.astype(np.float32)}, attributes)
    timings["write"] = time.perf_counter() - started

    nearest = distances[:, 0]
    table = [
        ("output", arguments.output),
        ("settings", " ".join(f"{name}={value}" for name, value in settings.items())),
        ("images (base / query)", f"{len(base_paths)} / {len(query_paths)} photographs from {len(versions)} packages"),
        ("descriptors (base / query)", f"{len(base_rows):,} / {attributes['query_descriptors']:,}"),
        ("distinct (base / query)", f"{distinct_base:,} / {len(query_pool):,}"),
        ("dims", f"{train.shape[1]}, {'whole numbers' if whole_numbers else 'floats'} "
                 f"{train.min():g}..{train.max():g}"),
        ("train / test rows", f"{len(train):,} / {len(test):,}"),
        ("ground truth", f"top {NEIGHBORS}, exact ({full_scans} queries searched in full)"),
        ("NN distance mean / median", f"{nearest.mean():.1f} / {np.median(nearest):.1f}"),
        (f"{NEIGHBORS}th-NN distance median", f"{np.median(distances[:, -1]):.1f}"),
        ("queries with a duplicate in train", f"{int((nearest == 0).sum()):,}"),
        (f"LID (MLE, k={LID_NEIGHBORS}) mean / median", f"{lid.mean():.1f} / {np.median(lid):.1f}"),
        *((f"time: {stage}", f"{seconds:.1f} s") for stage, seconds in timings.items()),
    ]
    width = max(len(name) for name, _ in table)
    for name, value in table:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
