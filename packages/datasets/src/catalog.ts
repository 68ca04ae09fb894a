/**
 * What perturb knows about each dataset: its file layout, class names, where it is published and
 * the SHA-256 of every published file.
 *
 * Checksum sources (a size and SHA-256 per URL, as TensorFlow Datasets records them in
 * `tensorflow_datasets/url_checksums/`):
 * - Fashion-MNIST: `fashion_mnist.txt`, for the zalando S3 files we download. Debian's
 *   `dataset-fashion-mnist` package ships the same IDX data recompressed, so its `.gz` files hash
 *   differently; local files are never checked against these.
 * - MNIST: `mnist.txt`, recorded for the `cvdf-datasets` mirror of Yann LeCun's original files.
 *   We download from the PyTorch mirror (`ossci-datasets`), which serves the same originals
 *   (same byte sizes and the MD5 sums torchvision checks); the SHA-256 was not re-measured here.
 * - CIFAR-10/100: `cifar10.txt` and `cifar100.txt`, for the binary archives on cs.toronto.edu.
 */
import type { ImageShape, Split } from './dataset';

/** Names `loadDataset` accepts. */
export const DATASET_NAMES = [
  'fashion-mnist-small',
  'fashion-mnist',
  'mnist',
  'cifar10',
  'cifar100',
] as const;
/** A dataset `loadDataset` knows. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** A published file and its checksum. */
export interface RemoteFile {
  readonly fileName: string;
  readonly bytes: number;
  readonly sha256: string;
}

interface SpecBase {
  readonly name: DatasetName;
  /** Folder of this dataset under `PERTURB_DATA`, the cache, or a mirror. */
  readonly folderName: string;
  readonly shape: ImageShape;
  /**
   * Examples in each split, as published. The files are checked against it when read, so a file
   * cut short (even at a record boundary) is refused; a CIFAR split's files hold equal shares.
   */
  readonly examples: Readonly<Record<Split, number>>;
  /** Where the files are published; absent for data shipped inside the package. */
  readonly baseUrl?: string;
  /** Files to download for each split (into the dataset's cache folder). */
  readonly remote: Readonly<Record<Split, readonly RemoteFile[]>>;
  /** Dataset folders installed by the operating system (e.g. Debian packages). */
  readonly systemDirs: readonly string[];
}

/** An MNIST-style dataset: an images and a labels IDX file per split, plain or `.gz`. */
export interface IdxSpec extends SpecBase {
  readonly format: 'idx';
  readonly classNames: readonly string[];
  /** File names without `.gz`, per split. */
  readonly files: Readonly<Record<Split, { readonly images: string; readonly labels: string }>>;
}

/** A CIFAR binary dataset, as its `.tar.gz` or as the folder extracted from it. */
export interface CifarSpec extends SpecBase {
  readonly format: 'cifar';
  /** Label bytes before each record's pixels: 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine). */
  readonly labelBytes: 1 | 2;
  readonly classNames: readonly string[];
  /** CIFAR-100's 20 superclasses. */
  readonly coarseClassNames?: readonly string[];
  readonly archiveName: string;
  /** The folder the archive extracts to. */
  readonly extractedFolder: string;
  readonly files: Readonly<Record<Split, readonly string[]>>;
}

/** What perturb knows about one dataset: an MNIST-style IDX dataset or a CIFAR binary one. */
export type DatasetSpec = IdxSpec | CifarSpec;

const MNIST_STYLE_FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

const MNIST_STYLE_EXAMPLES = { train: 60_000, test: 10_000 } as const;
const CIFAR_EXAMPLES = { train: 50_000, test: 10_000 } as const;

const GRAY_28 = { height: 28, width: 28, channels: 1 } as const;
const RGB_32 = { height: 32, width: 32, channels: 3 } as const;

const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const CIFAR100_FINE = (
  'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can castle ' +
  'caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin elephant flatfish ' +
  'forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle ' +
  'mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine ' +
  'possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar ' +
  'sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip turtle wardrobe whale willow_tree ' +
  'wolf woman worm'
).split(' ');

const CIFAR100_COARSE = (
  'aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices household_furniture ' +
  'insects large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes large_omnivores_and_herbivores ' +
  'medium_mammals non-insect_invertebrates people reptiles small_mammals trees vehicles_1 vehicles_2'
).split(' ');

const gz = (fileName: string, bytes: number, sha256: string): RemoteFile => ({
  fileName: `${fileName}.gz`,
  bytes,
  sha256,
});

const CIFAR10_ARCHIVE: RemoteFile = {
  fileName: 'cifar-10-binary.tar.gz',
  bytes: 170_052_171,
  sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd',
};
const CIFAR100_ARCHIVE: RemoteFile = {
  fileName: 'cifar-100-binary.tar.gz',
  bytes: 168_513_733,
  sha256: '58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec',
};

/** Every dataset `loadDataset` knows, by name. */
export const DATASETS: Readonly<Record<DatasetName, DatasetSpec>> = {
  'fashion-mnist-small': {
    name: 'fashion-mnist-small',
    format: 'idx',
    folderName: 'fashion-mnist-small',
    shape: GRAY_28,
    examples: { train: 2_000, test: 1_000 },
    classNames: FASHION_CLASSES,
    files: MNIST_STYLE_FILES,
    remote: { train: [], test: [] },
    systemDirs: [],
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    format: 'idx',
    folderName: 'fashion-mnist',
    shape: GRAY_28,
    examples: MNIST_STYLE_EXAMPLES,
    classNames: FASHION_CLASSES,
    files: MNIST_STYLE_FILES,
    baseUrl: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    remote: {
      train: [
        gz(
          MNIST_STYLE_FILES.train.images,
          26_421_880,
          '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
        ),
        gz(
          MNIST_STYLE_FILES.train.labels,
          29_515,
          'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
        ),
      ],
      test: [
        gz(
          MNIST_STYLE_FILES.test.images,
          4_422_102,
          '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
        ),
        gz(
          MNIST_STYLE_FILES.test.labels,
          5_148,
          '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
        ),
      ],
    },
    systemDirs: ['/usr/share/datasets/fashion-mnist'],
  },
  mnist: {
    name: 'mnist',
    format: 'idx',
    folderName: 'mnist',
    shape: GRAY_28,
    examples: MNIST_STYLE_EXAMPLES,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    files: MNIST_STYLE_FILES,
    baseUrl: 'https://ossci-datasets.s3.amazonaws.com/mnist/',
    remote: {
      train: [
        gz(
          MNIST_STYLE_FILES.train.images,
          9_912_422,
          '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
        ),
        gz(
          MNIST_STYLE_FILES.train.labels,
          28_881,
          '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
        ),
      ],
      test: [
        gz(
          MNIST_STYLE_FILES.test.images,
          1_648_877,
          '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
        ),
        gz(
          MNIST_STYLE_FILES.test.labels,
          4_542,
          'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
        ),
      ],
    },
    systemDirs: [],
  },
  cifar10: {
    name: 'cifar10',
    format: 'cifar',
    folderName: 'cifar10',
    shape: RGB_32,
    examples: CIFAR_EXAMPLES,
    labelBytes: 1,
    classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    archiveName: CIFAR10_ARCHIVE.fileName,
    extractedFolder: 'cifar-10-batches-bin',
    files: { train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), test: ['test_batch.bin'] },
    baseUrl: 'https://www.cs.toronto.edu/~kriz/',
    remote: { train: [CIFAR10_ARCHIVE], test: [CIFAR10_ARCHIVE] },
    systemDirs: [],
  },
  cifar100: {
    name: 'cifar100',
    format: 'cifar',
    folderName: 'cifar100',
    shape: RGB_32,
    examples: CIFAR_EXAMPLES,
    labelBytes: 2,
    classNames: CIFAR100_FINE,
    coarseClassNames: CIFAR100_COARSE,
    archiveName: CIFAR100_ARCHIVE.fileName,
    extractedFolder: 'cifar-100-binary',
    files: { train: ['train.bin'], test: ['test.bin'] },
    baseUrl: 'https://www.cs.toronto.edu/~kriz/',
    remote: { train: [CIFAR100_ARCHIVE], test: [CIFAR100_ARCHIVE] },
    systemDirs: [],
  },
};
